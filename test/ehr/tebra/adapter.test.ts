import { DomainError } from '../../../nodes/shared/core/errors';
import { EhrHttpError } from '../../../nodes/shared/ehr/http';
import { checkTebraLogin, createTebraClient, soapAction } from '../../../nodes/shared/ehr/tebra';
import { visitEvent } from '../../helpers/fixtures';
import { fetchHttpClient, instantRetryPolicy } from '../../helpers/fetchHttpClient';
import { seedCheckedOutVisit, tebraLogin, tebraPractice, useTebraSandbox } from './helpers';

const context = { defaultZone: 'America/Chicago', defaultLanguage: 'es', schedulingLinks: { default: 'https://riverside.example/book?visit={visitId}' } };

describe.each(['guide', 'enum'] as const)('Tebra adapter, ConfirmationStatus as in the %s', (confirmationStatusStyle) => {
	const tebra = useTebraSandbox({ confirmationStatusStyle });

	it('polls GetAppointments by practice and LastModified window and emits a checked-out visit once', async () => {
		const adapter = tebra.adapter();
		const start = new Date(tebra.clock.now());
		const first = await adapter.pollChanges({ since: start.toISOString() }, start);
		expect(first.events).toEqual([]);
		tebra.clock.advance(60_000);
		seedCheckedOutVisit(tebra.server, new Date(tebra.clock.now()));
		tebra.server.addAppointment({ ID: '5002', PatientID: '301', ServiceLocationID: '11', status: 'CheckedIn', start: new Date(tebra.clock.now()), end: new Date(tebra.clock.now() + 1_800_000) });
		tebra.clock.advance(60_000);
		const second = await adapter.pollChanges(first.nextCursor, new Date(tebra.clock.now()));
		expect(second.events.map((event) => [event.resourceId, event.ehr, event.patientId, event.departmentId])).toEqual([['5001', 'tebra', '301', '11']]);
		const call = tebra.server.requests.filter((request) => request.operation === 'GetAppointments').at(-1);
		expect(call?.filter).toMatchObject({ PracticeName: tebraPractice.name });
		expect(Object.keys(call?.filter ?? {})).toEqual(expect.arrayContaining(['FromLastModifiedDate', 'ToLastModifiedDate', 'StartDate', 'EndDate']));
		expect(call?.dropped).toEqual([]);
		tebra.clock.advance(60_000);
		const third = await adapter.pollChanges(second.nextCursor, new Date(tebra.clock.now()));
		expect(third.events).toEqual([]);
	});

	it('resolves a checked-out visit from GetAppointment and GetPatient, in the practice zone and default language', async () => {
		const end = new Date(tebra.clock.now());
		seedCheckedOutVisit(tebra.server, end);
		const result = await tebra.adapter().resolveVisit({ ehr: 'tebra', eventId: 'e1', topic: 'poll:CheckedOut', resourceType: 'Appointment', resourceId: '5001' }, context);
		expect(result.status).toBe('completed');
		if (result.status !== 'completed' || result.event.kind !== 'visit') return;
		expect(result.event).toMatchObject({
			ehr: 'tebra',
			patientId: '301',
			practiceId: tebraPractice.id,
			departmentId: '11',
			visitId: '5001',
			visitType: 'appointment',
			// From the mobile's area code (512, Austin), which here agrees with the practice zone.
			zone: 'America/Chicago',
			zoneSource: 'areaCode',
			completedAt: end.toISOString(),
			consent: { sms: true, email: true, voice: true },
			patient: {
				firstName: 'Ana',
				language: 'es',
				email: 'ana.garcia@patients.example',
				phones: [
					{ number: '+15125550101', kind: 'mobile' },
					{ number: '+15125550199', kind: 'unknown' },
				],
			},
		});
		expect(result.event.actionItems).toEqual([
			expect.objectContaining({ type: 'followUpVisit', schedulingLink: 'https://riverside.example/book?visit=5001' }),
		]);
	});

	it('takes the practice zone, recorded as "practice", when the patient has no US number', async () => {
		seedCheckedOutVisit(tebra.server, new Date(tebra.clock.now()));
		tebra.server.addPatient({ PatientID: '301', FirstName: 'Ana', LastName: 'García', MobilePhone: '+44 7700 900123', EmailAddress: 'ana.garcia@patients.example' });
		const result = await tebra.adapter().resolveVisit({ ehr: 'tebra', eventId: 'e5', topic: 't', resourceType: 'Appointment', resourceId: '5001' }, context);
		expect(result.status === 'completed' && [result.event.zone, result.event.zoneSource]).toEqual(['America/Chicago', 'practice']);
	});

	it('drops numbers no numbering plan has (an exchange starting with 1, an N11 area code)', async () => {
		seedCheckedOutVisit(tebra.server, new Date(tebra.clock.now()));
		tebra.server.addPatient({ PatientID: '301', FirstName: 'Ana', LastName: 'García', MobilePhone: '(512) 155-0101', HomePhone: '311.555.0199', EmailAddress: 'ana.garcia@patients.example' });
		const result = await tebra.adapter().resolveVisit({ ehr: 'tebra', eventId: 'e4', topic: 't', resourceType: 'Appointment', resourceId: '5001' }, context);
		expect(result.status === 'completed' && result.event.patient.phones).toEqual([]);
	});

	it.each([
		['CheckedIn', 'Appointment status is CheckedIn, not CheckedOut'],
	])('does not start a journey for an appointment that is %s', async (status, reason) => {
		seedCheckedOutVisit(tebra.server, new Date(tebra.clock.now()), '5003', status as 'CheckedIn');
		const result = await tebra.adapter().resolveVisit({ ehr: 'tebra', eventId: 'e2', topic: 't', resourceType: 'Appointment', resourceId: '5003' }, context);
		expect(result).toEqual({ status: 'notCompleted', reason });
	});

	it('leaves out the follow-up item when the credential says so', async () => {
		seedCheckedOutVisit(tebra.server, new Date(tebra.clock.now()));
		const result = await tebra.adapter({ followUpItem: false }).resolveVisit({ ehr: 'tebra', eventId: 'e3', topic: 't', resourceType: 'Appointment', resourceId: '5001' }, context);
		expect(result.status === 'completed' && result.event.kind === 'visit' && result.event.actionItems).toEqual([]);
	});
});

describe('Tebra Booking Check', () => {
	const tebra = useTebraSandbox();
	const visitEnd = () => new Date(tebra.clock.now());
	const visit = (end: Date) =>
		visitEvent({ ehr: 'tebra', patientId: '301', visitId: '5001', visitType: 'appointment', zone: 'America/Chicago', completedAt: end.toISOString(), visitDate: end.toISOString().slice(0, 10) });

	it.each([
		['Scheduled', 'booked'],
		['CheckedOut', 'done'],
		['NoShow', 'noShow'],
		['Cancelled', 'open'],
	] as const)('a later appointment that is %s → %s', async (status, expected) => {
		const end = visitEnd();
		seedCheckedOutVisit(tebra.server, end);
		tebra.server.addAppointment({ ID: '6001', PatientID: '301', ServiceLocationID: '11', status, start: new Date(end.getTime() + 14 * 86_400_000), end: new Date(end.getTime() + 14 * 86_400_000 + 1_200_000) });
		const result = await tebra.adapter().findFollowUp(visit(end), {});
		expect(result.status).toBe(expected);
		const byPatient = tebra.server.requests.find((request) => request.operation === 'GetAppointments');
		expect(byPatient?.filter).toMatchObject({ PatientID: '301', PracticeName: tebraPractice.name });
	});

	it('ends the journey when the visit itself was cancelled since', async () => {
		const end = visitEnd();
		seedCheckedOutVisit(tebra.server, end);
		tebra.server.setStatus('5001', 'Cancelled');
		expect((await tebra.adapter().findFollowUp(visit(end), {})).status).toBe('visitCancelled');
	});
});

describe('Tebra escalation (no task API)', () => {
	const tebra = useTebraSandbox();
	const escalation = { journeyId: 'visit:tebra:5001', patientId: '301', visitId: '5001', title: 'Call patient', note: 'n', dueAt: '2026-03-11T15:00:00Z', priority: 'routine' as const };

	it('files nothing in Tebra by default: the staff notification is the task', async () => {
		seedCheckedOutVisit(tebra.server, new Date(tebra.clock.now()));
		const result = await tebra.adapter().createTask(escalation);
		expect(result).toMatchObject({ kind: 'staffNotice', created: true, taskId: 'notice:visit:tebra:5001' });
		expect(result.reference).toContain('Tebra patient 301, appointment 5001');
		expect(tebra.server.requests.map((request) => request.operation)).toEqual([]);
	});

	it('with Patient Alert on, sets the alert through UpdatePatient, replacing one staff wrote', async () => {
		seedCheckedOutVisit(tebra.server, new Date(tebra.clock.now()));
		tebra.server.patients.get('301')!.Alert = { Message: 'Hand-written alert', ShowWhenDisplayingPatientDetails: 'true' };
		const result = await tebra.adapter({ patientAlert: true }).createTask(escalation);
		expect(result.kind).toBe('patientAlert');
		const alert = tebra.server.patients.get('301')!.Alert!;
		expect(alert.Message).toMatch(/^Post-visit follow-up open/);
		expect(alert).toMatchObject({ ShowWhenDisplayingPatientDetails: 'true', ShowWhenSchedulingAppointments: 'true' });
		expect(tebra.server.requests.at(-1)).toMatchObject({ operation: 'UpdatePatient', dropped: [] });
	});
});

describe('Tebra transport', () => {
	const tebra = useTebraSandbox();

	it('spaces calls as the guide asks, so the rate-limiting server never answers 429', async () => {
		seedCheckedOutVisit(tebra.server, new Date(tebra.clock.now()));
		const adapter = tebra.adapter();
		const before = tebra.clock.now();
		for (let i = 0; i < 3; i++) await adapter.findFollowUp(visitEvent({ ehr: 'tebra', patientId: '301', visitId: '5001' }), {});
		expect(tebra.server.requests.every((request) => request.status === 200)).toBe(true);
		// Three GetAppointments one second apart at least; the GetAppointment calls between them fit in.
		expect(tebra.clock.now() - before).toBeGreaterThanOrEqual(2000);
	});

	it('backs off on 429 and then succeeds', async () => {
		seedCheckedOutVisit(tebra.server, new Date(tebra.clock.now()));
		tebra.server.injectFault({ operation: 'GetAppointment', status: 429, times: 2 });
		const waits: number[] = [];
		const client = createTebraClient({ http: fetchHttpClient(tebra.server.url), login: tebraLogin, endpoint: tebra.server.endpoint, retry: instantRetryPolicy(waits), pacer: tebra.clock.pacer() });
		const { createResolveVisit } = await import('../../../nodes/shared/ehr/tebra/visit');
		const resolve = createResolveVisit({ client, options: { practiceName: tebraPractice.name, zone: tebraPractice.zone } });
		expect((await resolve({ ehr: 'tebra', eventId: 'e', topic: 't', resourceType: 'Appointment', resourceId: '5001' }, context)).status).toBe('completed');
		expect(waits).toHaveLength(2);
	});

	it('gives up with an EhrHttpError after repeated 429s', async () => {
		seedCheckedOutVisit(tebra.server, new Date(tebra.clock.now()));
		tebra.server.injectFault({ operation: 'GetAppointment', status: 429, times: 10 });
		await expect(tebra.adapter().resolveVisit({ ehr: 'tebra', eventId: 'e', topic: 't', resourceType: 'Appointment', resourceId: '5001' }, context)).rejects.toThrow(EhrHttpError);
	});

	it('reports a refused login as 401 without the password', async () => {
		const adapter = createTebraClient({ http: fetchHttpClient(tebra.server.url), login: { ...tebraLogin, password: 'wrong' }, endpoint: tebra.server.endpoint, retry: instantRetryPolicy(), pacer: tebra.clock.pacer() });
		await expect(adapter.call('GetPractices', { Filter: [] })).rejects.toMatchObject({ status: 401, message: expect.not.stringContaining('wrong') });
	});

	it('the double drops an element sent out of contract order without a word, as Tebra does', async () => {
		const misordered =
			'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sch="http://www.kareo.com/api/schemas/"><soapenv:Body>' +
			`<sch:GetAppointments><sch:request><sch:RequestHeader><sch:CustomerKey>${tebraLogin.customerKey}</sch:CustomerKey><sch:Password>p&amp;ss&lt;word&gt;&quot;&apos;</sch:Password><sch:User>${tebraLogin.user}</sch:User></sch:RequestHeader>` +
			'<sch:Filter><sch:PracticeName>Riverside Family Medicine</sch:PracticeName></sch:Filter></sch:request></sch:GetAppointments></soapenv:Body></soapenv:Envelope>';
		const response = await fetch(tebra.server.endpoint, { method: 'POST', headers: { 'content-type': 'text/xml', soapaction: soapAction('GetAppointments') }, body: misordered });
		expect(await response.text()).toContain('<IsError>true</IsError>');
		expect(tebra.server.requests.at(-1)?.dropped).toEqual(['request.Filter']);
	});

	it('refuses a SOAPAction that does not name the operation (a SOAP fault)', async () => {
		const client = createTebraClient({
			http: async (request) => await fetchHttpClient(tebra.server.url)({ ...request, headers: { ...request.headers, SOAPAction: '"x"' } }),
			login: tebraLogin,
			endpoint: tebra.server.endpoint,
			retry: instantRetryPolicy(),
			pacer: tebra.clock.pacer(),
		});
		await expect(client.call('GetPractices', { Filter: [] })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('ActionNotSupported') });
	});

	it('asks for the practice zone instead of using the server zone', async () => {
		await expect(tebra.adapter({ zone: undefined }).pollChanges({ since: new Date(tebra.clock.now()).toISOString() }, new Date(tebra.clock.now()))).rejects.toThrow(DomainError);
	});

	it('has no recall API', async () => {
		await expect(tebra.adapter().pollRecalls({ from: '2026-03-01', to: '2026-04-01' }, context)).rejects.toThrow(/no API that lists recalls/);
	});

	it.each([
		[tebraPractice.name, tebraLogin.password, true],
		['Another Practice', tebraLogin.password, false],
		[tebraPractice.name, 'wrong', false],
	])('the connection test for practice %s finds it: %s', async (practiceName, password, ok) => {
		const result = await checkTebraLogin(fetchHttpClient(tebra.server.url), { ...tebraLogin, password }, practiceName, { endpoint: tebra.server.endpoint, pacer: tebra.clock.pacer() });
		expect(result.ok).toBe(ok);
	});
});
