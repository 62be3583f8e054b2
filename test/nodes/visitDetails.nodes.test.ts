import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { join } from 'node:path';

import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { VisitDetails } from '../../nodes/VisitDetails/VisitDetails.node';
import { parseVisitEvent } from '../../nodes/shared/core/schemas';
import { openJourneyStore } from '../../nodes/shared/store';
import type { EhrKind } from '../../nodes/shared/core/schemas';
import type { NotificationEvent } from '../../nodes/shared/ehr/types';
import { closeAthenaVisit, openAthenaVisit } from '../../sandbox/athena-demo';
import { buildAthenaDelivery } from '../../sandbox/athenahealth-server';
import { demoPatients } from '../../sandbox/demo-patients';
import { openDrChronoVisit } from '../../sandbox/drchrono-demo';
import { buildDrChronoDelivery } from '../../sandbox/drchrono-server';
import { closeFhirVisit, ensureFhirPatient, fhirBackportNotification } from '../../sandbox/fhir-demo';
import { createResource, startFhirServer } from '../../sandbox/fhir-server';
import { john, post, useEhrSandboxes } from '../helpers/ehrSandboxes';
import { runWorkflow, single } from '../helpers/engine';
import { drChronoCredential, journeyStoreCredential, packCredentialTypes, practiceProfileCredential, tempDir, testContactHashSecret } from '../helpers/fixtures';

const secret = 'whsec-visit-details-0123456789abcdef';
const sandbox = useEhrSandboxes({ webhookSecret: secret });

/** One EHR as Visit Details meets it: a real local server, its credential, and how a visit closes there. */
interface VisitSource {
	ehr: EhrKind;
	credentials(): Record<string, ICredentialDataDecryptedObject>;
	/** Where the practice's zone comes from for this EHR's demo visit. */
	expectedZone: string;
	/** Closes a visit in the EHR; returns the verified notification and a second, different delivery for it. */
	closeVisit(): Promise<{ notification: NotificationEvent; anotherDelivery(): NotificationEvent }>;
	/** A notification for a visit that is still going on in the EHR. */
	openVisitNotification(): Promise<NotificationEvent>;
	/** The EHR answers the next read 503 once. */
	failOnce(): void;
	/** The EHR keeps answering 429 (Retry-After: 0) until the adapter gives up on the first read. */
	failUntilGivenUp(): void;
	/** How often the path the faults hit has been requested so far. */
	readsOfFaultedPath(notification: NotificationEvent): number;
}

let fhirEventNumber = 0;

const fhirSource: VisitSource = {
	ehr: 'fhir',
	credentials: () => sandbox.credentials('fhir'),
	expectedZone: john.zone,
	async closeVisit() {
		const patientId = await ensureFhirPatient(sandbox.fhir, john);
		const { encounterId } = await closeFhirVisit(sandbox.fhir, patientId, { completedAt: new Date(Date.now() - 10 * 60_000).toISOString() });
		const deliver = () =>
			sandbox.verified('fhir', post(JSON.stringify(fhirBackportNotification(encounterId, ++fhirEventNumber)), {
				'content-type': 'application/fhir+json',
				'x-webhook-secret': secret,
			}));
		return { notification: deliver(), anotherDelivery: deliver };
	},
	async openVisitNotification() {
		const patientId = await ensureFhirPatient(sandbox.fhir, john);
		const encounter = await createResource(sandbox.fhir.repo, {
			resourceType: 'Encounter',
			status: 'in-progress',
			class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
			subject: { reference: `Patient/${patientId}` },
			period: { start: new Date().toISOString() },
		});
		const body = JSON.stringify(fhirBackportNotification(encounter.id, ++fhirEventNumber));
		return sandbox.verified('fhir', post(body, { 'content-type': 'application/fhir+json', 'x-webhook-secret': secret }));
	},
	failOnce: () => sandbox.fhir.injectFaults({ status: 503 }),
	failUntilGivenUp: () => sandbox.fhir.injectFaults(...Array.from({ length: 4 }, () => ({ status: 429 as const, retryAfterSeconds: 0 }))),
	// Faults are recorded with the full path (/fhir/Encounter/…), answers below the FHIR base (/Encounter/…).
	readsOfFaultedPath: (notification) =>
		sandbox.fhir.requests.filter((request) => request.path.endsWith(`/Encounter/${notification.resourceId}`)).length,
};

const athenaSource: VisitSource = {
	ehr: 'athenahealth',
	credentials: () => sandbox.credentials('athenahealth'),
	expectedZone: john.zone,
	async closeVisit() {
		const { appointmentId, patientId } = openAthenaVisit(sandbox.athena, john);
		const delivery = closeAthenaVisit(sandbox.athena, appointmentId, secret);
		const departmentId = String(sandbox.athena.state.appointments.get(appointmentId)?.departmentid);
		return {
			notification: sandbox.verified('athenahealth', post(delivery.body, delivery.headers)),
			anotherDelivery: () => {
				const again = buildAthenaDelivery({
					practiceId: sandbox.athena.practiceId,
					secret,
					events: [{ topic: 'Appointment.check-out', appointmentId, patientId, departmentId }],
				});
				return sandbox.verified('athenahealth', post(again.body, again.headers));
			},
		};
	},
	async openVisitNotification() {
		// Checked in, not checked out: a check-out notification that athena's record does not (yet) confirm.
		const { appointmentId, patientId } = openAthenaVisit(sandbox.athena, demoPatients.find((patient) => patient.key === 'ana')!);
		const departmentId = String(sandbox.athena.state.appointments.get(appointmentId)?.departmentid);
		const delivery = buildAthenaDelivery({
			practiceId: sandbox.athena.practiceId,
			secret,
			events: [{ topic: 'Appointment.check-out', appointmentId, patientId, departmentId }],
		});
		return sandbox.verified('athenahealth', post(delivery.body, delivery.headers));
	},
	failOnce: () => sandbox.athena.injectFault({ status: 503, path: '/appointments/' }),
	failUntilGivenUp: () => sandbox.athena.injectFault({ status: 429, retryAfter: '0', path: '/appointments/', times: 4 }),
	readsOfFaultedPath: (notification) =>
		sandbox.athena.state.requests.filter((request) => request.path.endsWith(`/appointments/${notification.resourceId}`)).length,
};

const drChronoSource: VisitSource = {
	ehr: 'drchrono',
	credentials: () => sandbox.credentials('drchrono'),
	// DrChrono records no patient zone, and the demo numbers' area code (555) gives none: the doctor's own setting.
	expectedZone: 'America/Chicago',
	async closeVisit() {
		const { appointmentId } = openDrChronoVisit(sandbox.drchrono, john);
		const { delivery } = await sandbox.drchrono.completeAppointment(appointmentId);
		const object = JSON.parse(delivery!.rawBody.toString('utf8')).object as unknown;
		return {
			notification: sandbox.verified('drchrono', delivery!),
			anotherDelivery: () => sandbox.verified('drchrono', buildDrChronoDelivery({ secret, event: 'APPOINTMENT_MODIFY', object })),
		};
	},
	async openVisitNotification() {
		// DrChrono's trigger only emits "Complete" deliveries; a poller or a replay hands over this thin shape.
		const { appointmentId, patientId } = openDrChronoVisit(sandbox.drchrono, john);
		return {
			ehr: 'drchrono',
			eventId: `delivery-${randomUUID()}`,
			topic: 'APPOINTMENT_MODIFY',
			resourceType: 'Appointment',
			resourceId: appointmentId,
			patientId: String(patientId),
		};
	},
	failOnce: () => sandbox.drchrono.injectFault({ status: 503, pathPrefix: '/api/patients/' }),
	failUntilGivenUp: () => sandbox.drchrono.injectFault({ status: 429, retryAfterSeconds: 0, pathPrefix: '/api/patients/', times: 4 }),
	readsOfFaultedPath: (notification) =>
		sandbox.drchrono.requests.filter((request) => request.path === `/api/patients/${notification.patientId}`).length,
};

function visitDetailsWorkflow(ehr: EhrKind, items: unknown[], node: IDataObject = {}) {
	return single('Visit Details', 'visitDetails', { ehr }, items, node);
}

const nodeTypes = { visitDetails: new VisitDetails() };

/** Runs Visit Details on these items against the EHR and a journey store of its own (or the one given). */
async function visitDetails(source: VisitSource, items: unknown[], storePath = join(tempDir(), 'journey.sqlite'), node: IDataObject = {}) {
	const result = await runWorkflow(visitDetailsWorkflow(source.ehr, items, node), {
		nodeTypes,
		credentials: {
			...source.credentials(),
			journeyStoreApi: journeyStoreCredential(storePath),
			practiceProfileApi: practiceProfileCredential(),
		},
		credentialTypes: packCredentialTypes(),
	});
	return { ...result, storePath, visits: result.output('Visit Details', 0), skipped: result.output('Visit Details', 1) };
}

describe.each([fhirSource, athenaSource, drChronoSource])('Visit Details against the local $ehr server', (source) => {
	it('turns a verified completion notification into a full visit event that carries the journey', async () => {
		const { notification } = await source.closeVisit();
		const result = await visitDetails(source, [notification]);
		expect(result.error('Visit Details')).toBeUndefined();
		expect(result.skipped).toEqual([]);
		expect(result.visits).toHaveLength(1);
		const visit = parseVisitEvent(result.visits[0]);
		expect(visit).toMatchObject({ kind: 'visit', ehr: source.ehr, visitId: notification.resourceId, zone: source.expectedZone });
		expect(visit.patient.firstName).toBe(john.firstName);
		expect(visit.patient.phones.map((phone) => phone.number)).toContain(john.mobile);
		expect(result.visits[0].journey).toMatchObject({
			journeyId: `visit:${source.ehr}:${notification.resourceId}`,
			stage: 0,
			holds: 0,
			steps: [expect.objectContaining({ node: 'Visit Details', outcome: 'admitted' })],
		});
		expect(result.items('Visit Details', 0)[0].pairedItem).toEqual({ item: 0 });
		const typesOfItems = visit.actionItems.map((item) => item.type).join(', ');
		expect(result.visits[0].visit).toEqual({
			summary: expect.stringMatching(
				new RegExp(`^Journey started: ${visit.visitType} ${visit.visitId} closed \\w{3} \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} ${visit.zone}; .*${typesOfItems.replace(/[()]/g, '')}`),
			),
		});
		const store = await openJourneyStore({ backend: 'sqlite', path: result.storePath, contactHashSecret: testContactHashSecret });
		expect(await store.getJourney(`visit:${source.ehr}:${notification.resourceId}`)).toMatchObject({
			kind: 'visit',
			ehr: source.ehr,
			sourceId: notification.resourceId,
			anchorAt: visit.completedAt,
			zone: source.expectedZone,
		});
		await store.close();
	});

	it('sends the same delivery to "Skipped" as a duplicate, and a second delivery for the same visit as already started', async () => {
		const { notification, anotherDelivery } = await source.closeVisit();
		const first = await visitDetails(source, [notification]);
		expect(first.visits).toHaveLength(1);

		const duplicate = await visitDetails(source, [notification], first.storePath);
		expect(duplicate.visits).toEqual([]);
		expect(duplicate.skipped).toEqual([
			{
				skipped: 'duplicate',
				eventId: notification.eventId,
				topic: notification.topic,
				visit: { summary: 'Skipped: this delivery was already handled (the EHR sent it again)' },
			},
		]);

		const other = anotherDelivery();
		expect(other.eventId).not.toBe(notification.eventId);
		const again = await visitDetails(source, [other], first.storePath);
		expect(again.visits).toEqual([]);
		expect(again.skipped).toEqual([
			{
				skipped: 'alreadyStarted',
				eventId: other.eventId,
				topic: other.topic,
				journeyId: `visit:${source.ehr}:${notification.resourceId}`,
				visit: { summary: `Skipped: the journey of this visit already started (visit:${source.ehr}:${notification.resourceId})` },
			},
		]);
	});

	it('skips a visit the EHR does not show as completed, with the reason', async () => {
		const notification = await source.openVisitNotification();
		const result = await visitDetails(source, [notification]);
		expect(result.visits).toEqual([]);
		expect(result.skipped).toEqual([
			expect.objectContaining({ skipped: 'notCompleted', eventId: notification.eventId, reason: expect.any(String) }),
		]);
	});

	it('retries a 503 from the EHR and still admits the visit', async () => {
		const { notification } = await source.closeVisit();
		const readsBefore = source.readsOfFaultedPath(notification);
		source.failOnce();
		const result = await visitDetails(source, [notification]);
		expect(result.error('Visit Details')).toBeUndefined();
		expect(result.visits).toHaveLength(1);
		expect(source.readsOfFaultedPath(notification) - readsBefore).toBe(2);
	});

	it('fails when the EHR stays unavailable and releases the event claim, so the redelivery is admitted, not called a duplicate', async () => {
		const { notification } = await source.closeVisit();
		source.failUntilGivenUp();
		const failed = await visitDetails(source, [notification]);
		expect(failed.status).toBe('error');
		expect(failed.error('Visit Details')?.message).toMatch(new RegExp(`^${source.ehr} answered 429 .*retry the execution`));
		expect(failed.visits).toEqual([]);

		const redelivered = await visitDetails(source, [notification], failed.storePath);
		expect(redelivered.error('Visit Details')).toBeUndefined();
		expect(redelivered.skipped).toEqual([]);
		expect(redelivered.visits).toHaveLength(1);
	});
});

describe('Visit Details on items that are not notifications', () => {
	it('refuses an item that is not a notification with a NodeOperationError naming the field', async () => {
		const result = await visitDetails(fhirSource, [{ hello: 'world' }]);
		expect(result.status).toBe('error');
		const error = result.nodeError('Visit Details');
		expect(error).toMatchObject({
			name: 'NodeOperationError',
			message: expect.stringMatching(/not an EHR notification/),
			description: 'Check the field "eventId".',
			context: { itemIndex: 0 },
		});
	});

	it('refuses a notification from another EHR than the node is set to, naming the field', async () => {
		const { notification } = await athenaSource.closeVisit();
		const result = await visitDetails(fhirSource, [notification]);
		expect(result.nodeError('Visit Details')).toMatchObject({ name: 'NodeOperationError', description: 'Check the field "ehr".' });
	});

	it('with "Continue On Fail" emits an error item paired with its input and goes on with the others', async () => {
		const { notification } = await fhirSource.closeVisit();
		const result = await visitDetails(fhirSource, [{ hello: 'world' }, notification], undefined, { onError: 'continueRegularOutput' });
		expect(result.status).toBe('success');
		const items = result.items('Visit Details', 0);
		expect(items).toHaveLength(2);
		// n8n's error-item shape: only `error` and `details` (the error output merges the input back in).
		expect(items[0]).toEqual({
			json: { error: expect.stringMatching(/not an EHR notification/), details: 'Check the field "eventId".' },
			pairedItem: { item: 0 },
		});
		expect(items[1].pairedItem).toEqual({ item: 1 });
		expect(parseVisitEvent(items[1].json).visitId).toBe(notification.resourceId);
	});
});

describe('EHR credentials in n8n\'s engine: tokens are fetched and renewed by n8n, not by the node', () => {
	async function admitWith(ehr: EhrKind, credential: Record<string, ICredentialDataDecryptedObject>, notification: NotificationEvent) {
		return await runWorkflow(visitDetailsWorkflow(ehr, [notification]), {
			nodeTypes,
			credentials: {
				...credential,
				journeyStoreApi: journeyStoreCredential(join(tempDir(), 'journey.sqlite')),
				practiceProfileApi: practiceProfileCredential(),
			},
			credentialTypes: packCredentialTypes(),
		});
	}

	it('FHIR SMART Backend Services: a token from a signed assertion, fetched again when the server answers 401', async () => {
		const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
		const smart = await startFhirServer({
			smartClients: [{ clientId: 'post-visit', keyId: 'key-1', publicKeyPem: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString() }],
		});
		try {
			const credential = {
				fhirR4Api: {
					baseUrl: smart.url,
					authentication: 'smartBackend',
					clientId: 'post-visit',
					tokenUrl: '',
					privateKey: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
					keyId: 'key-1',
					algorithm: 'RS384',
					scope: 'system/Encounter.read system/Patient.read system/ServiceRequest.read system/MedicationRequest.read',
					accessToken: '',
				},
			};
			const patientId = await ensureFhirPatient(smart, john);
			const { encounterId } = await closeFhirVisit(smart, patientId, { completedAt: new Date().toISOString() });
			const notification = (eventId: string): NotificationEvent => ({
				ehr: 'fhir',
				eventId,
				topic: 'encounter-complete',
				resourceType: 'Encounter',
				resourceId: encounterId,
			});

			const first = await admitWith('fhir', credential, notification('smart-1'));
			expect(first.output('Visit Details', 0)).toHaveLength(1);
			expect(smart.issuedTokens).toHaveLength(1);
			expect(smart.issuedTokens[0].assertion.header).toMatchObject({ alg: 'RS384', kid: 'key-1', typ: 'JWT' });

			// The server forgets every token (expiry, key rotation): the node's own read with the token it holds is
			// refused, it hands the request to n8n, whose first try with the stored token is refused too; n8n then runs
			// the credential's preAuthentication again and resends.
			smart.issuedTokens.splice(0);
			smart.requests.splice(0);
			const second = await admitWith('fhir', credential, notification('smart-2'));
			expect(second.output('Visit Details', 0)).toHaveLength(1);
			expect(smart.requests.slice(0, 5).map((request) => `${request.method} ${request.path} ${request.status}`)).toEqual([
				`GET /Encounter/${encounterId} 401`,
				`GET /Encounter/${encounterId} 401`,
				'GET /.well-known/smart-configuration 200',
				'POST /oauth2/token 200',
				`GET /Encounter/${encounterId} 200`,
			]);
			expect(smart.issuedTokens).toHaveLength(1);
		} finally {
			await smart.close();
		}
	});

	it('athenahealth: an expired token is replaced through the credential\'s preAuthentication, once', async () => {
		const credential = sandbox.credentials('athenahealth');
		const first = await admitWith('athenahealth', credential, (await athenaSource.closeVisit()).notification);
		expect(first.output('Visit Details', 0)).toHaveLength(1);
		const tokenRequests = sandbox.athena.state.tokenRequests.length;

		sandbox.athena.expireTokens();
		const second = await admitWith('athenahealth', credential, (await athenaSource.closeVisit()).notification);
		expect(second.error('Visit Details')).toBeUndefined();
		expect(second.output('Visit Details', 0)).toHaveLength(1);
		expect(sandbox.athena.state.tokenRequests.length - tokenRequests).toBe(1);
	});

	it.each<[string, { keepEncounter: boolean; followUpVisitItem?: string }, string[]]>([
		['its orders, from the encounter found by patient, department and date', { keepEncounter: true }, ['imaging']],
		['the follow-up visit when no encounter is found (the credential\'s default, also for a credential saved before the field)', { keepEncounter: false }, ['followUpVisit']],
		['nothing when no encounter is found and the credential says "Never"', { keepEncounter: false, followUpVisitItem: 'never' }, []],
	])('athenahealth: a checked-out appointment that names no encounter gets %s', async (_name, { keepEncounter, followUpVisitItem }, types) => {
		const { appointmentId } = openAthenaVisit(sandbox.athena, john);
		// athena's own sample of a checked-out appointment: encounterstatus, no encounterid.
		delete sandbox.athena.state.appointments.get(appointmentId)!.encounterid;
		if (!keepEncounter) sandbox.athena.state.encounters.delete(`7${appointmentId}`);
		const delivery = closeAthenaVisit(sandbox.athena, appointmentId, secret);
		const { athenahealthApi } = sandbox.credentials('athenahealth');
		const credential = { athenahealthApi: { ...athenahealthApi, ...(followUpVisitItem ? { followUpVisitItem } : {}) } };

		const result = await admitWith('athenahealth', credential, sandbox.verified('athenahealth', post(delivery.body, delivery.headers)));

		expect(result.error('Visit Details')).toBeUndefined();
		const [visit] = result.output('Visit Details', 0);
		expect(parseVisitEvent(visit).actionItems.map((action) => action.type)).toEqual(types);
	});

	it('DrChrono OAuth2: an expired token makes n8n refresh it with the refresh token, and the new token is used from then on', async () => {
		const redirectUri = 'http://127.0.0.1/rest/oauth2-credential/callback';
		const authorize = await fetch(
			`${sandbox.drchrono.url}/o/authorize/?client_id=sandbox-client-id&response_type=code&redirect_uri=${encodeURIComponent(redirectUri)}`,
			{ redirect: 'manual' },
		);
		const code = new URL(authorize.headers.get('location')!).searchParams.get('code')!;
		const tokenResponse = await fetch(`${sandbox.drchrono.url}/o/token/`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({
				grant_type: 'authorization_code',
				code,
				redirect_uri: redirectUri,
				client_id: 'sandbox-client-id',
				client_secret: 'sandbox-client-secret',
			}),
		});
		const oauthTokenData = (await tokenResponse.json()) as ICredentialDataDecryptedObject;
		const credential = { drChronoOAuth2Api: { ...drChronoCredential(sandbox.drchrono, String(oauthTokenData.access_token)), oauthTokenData } };

		const { notification } = await drChronoSource.closeVisit();
		const requestsBefore = sandbox.drchrono.requests.length;
		sandbox.drchrono.expireAccessToken(String(oauthTokenData.access_token), {
			refreshToken: String(oauthTokenData.refresh_token),
			clientId: 'sandbox-client-id',
			clientSecret: 'sandbox-client-secret',
		});
		const result = await admitWith('drchrono', credential, notification);
		expect(result.error('Visit Details')).toBeUndefined();
		expect(result.output('Visit Details', 0)).toHaveLength(1);
		const requests = sandbox.drchrono.requests.slice(requestsBefore);
		expect(requests.filter((request) => request.path === '/o/token/').map((request) => request.body)).toEqual([
			expect.objectContaining({ grant_type: 'refresh_token', refresh_token: oauthTokenData.refresh_token }),
		]);
		// The refresh rotated both tokens: every API call after it carried the new one.
		const refreshedAt = requests.findIndex((request) => request.path === '/o/token/');
		expect(requests.slice(refreshedAt + 1).every((request) => request.authorized)).toBe(true);
	});
});
