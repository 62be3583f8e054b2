import { buildAck, classifyMessage, completionRules, Hl7ParseError, hl7Instant, languageFrom, parseFieldPath, parseHl7 } from '../../../nodes/shared/ehr/hl7v2';
import { adtA03, imagingOrder, labOrder, siuMessage } from './messages';

const rules = completionRules({});

describe('HL7 v2 parsing', () => {
	it('reads fields, components, repetitions and MSH with its own numbering', () => {
		const message = parseHl7(siuMessage());
		expect(message.value({ segment: 'MSH', field: 1 })).toBe('|');
		expect(message.value({ segment: 'MSH', field: 2 })).toBe('^~\\&');
		expect(message.value({ segment: 'MSH', field: 3 })).toBe('EPIC');
		expect(message.value({ segment: 'MSH', field: 9, component: 2 })).toBe('S14');
		expect(message.value({ segment: 'PID', field: 5, component: 2 })).toBe('Ana');
		expect(message.repetitions(message.first('PID'), 13)).toHaveLength(2);
	});

	it.each([
		['\\F\\', '|'],
		['\\S\\', '^'],
		['\\T\\', '&'],
		['\\R\\', '~'],
		['\\E\\', '\\'],
		['\\X41\\', 'A'],
	])('decodes the escape %s', (escaped, plain) => {
		const message = parseHl7(`MSH|^~\\&|A|B|C|D|20260310||ADT^A01|1|P|2.5\rNTE|1||x${escaped}y`);
		expect(message.value({ segment: 'NTE', field: 3 })).toBe(`x${plain}y`);
	});

	it('accepts LF and CRLF segment ends, as interface engines send them', () => {
		expect(parseHl7(siuMessage().replace(/\r/g, '\r\n')).all('AIL')).toHaveLength(1);
		expect(parseHl7(siuMessage().replace(/\r/g, '\n')).all('AIL')).toHaveLength(1);
	});

	it.each([
		['an empty message', '', 'MSH'],
		['no MSH first', 'PID|1||E1', 'MSH'],
		['a letter as field separator', 'MSHA^~\\&A', 'MSH-1'],
		['too few encoding characters', 'MSH|^~|A', 'MSH-2'],
		['a lowercase segment name', 'MSH|^~\\&|A\rpid|1', 'segment 2'],
	])('refuses %s, naming where', (_case, text, location) => {
		expect(() => parseHl7(text)).toThrow(Hl7ParseError);
		try {
			parseHl7(text);
		} catch (error) {
			expect((error as Hl7ParseError).location).toBe(location);
		}
	});

	it.each([
		['SCH-25', { segment: 'SCH', field: 25 }],
		['zsc-3.1', { segment: 'ZSC', field: 3, component: 1 }],
		['PV1-19.1.2', { segment: 'PV1', field: 19, component: 1, subcomponent: 2 }],
		['SCH25', undefined],
	])('reads the field path %s', (text, path) => {
		expect(parseFieldPath(text)).toEqual(path);
	});
});

describe('what counts as a completed visit (Epic defaults)', () => {
	it('an SIU^S14 whose SCH-25 is Complete: patient contact from PID, language from PID-15', () => {
		const result = classifyMessage(parseHl7(siuMessage()), rules);
		expect(result.kind).toBe('completed');
		if (result.kind !== 'completed') return;
		expect(result.facts).toMatchObject({
			sendingApplication: 'EPIC',
			sendingFacility: 'RIVERSIDE',
			messageType: 'SIU^S14',
			controlId: 'MSG00001',
			patient: {
				id: 'E1001',
				assigningAuthority: 'EPIC',
				firstName: 'Ana',
				email: 'ana.garcia@patients.example',
				language: 'es',
				phones: [
					{ number: '+15125550101', kind: 'mobile' },
					{ number: '+15125550177', kind: 'landline' },
				],
			},
			visit: { id: 'APT-77', type: 'appointment', completedAt: '20260310153000-0500', location: 'RFM' },
		});
	});

	it.each([
		['Booked', 'S12'],
		['Cancelled', 'S15'],
		['Noshow', 'S26'],
	])('an SIU with status %s (%s) is acknowledged and ignored', (status, event) => {
		expect(classifyMessage(parseHl7(siuMessage({ status, event })), rules).kind).toBe('ignored');
	});

	it('another status field and values, as a site configures them', () => {
		const custom = completionRules({ statusField: 'ZSC-1', completedStatuses: 'CHECKOUT' });
		const message = parseHl7(`${siuMessage({ status: 'Booked' })}\rZSC|CHECKOUT`);
		expect(classifyMessage(message, custom).kind).toBe('completed');
	});

	it('an ADT^A03: the visit number, discharge time and location from PV1', () => {
		const result = classifyMessage(parseHl7(adtA03()), rules);
		expect(result.kind === 'completed' && result.facts.visit).toEqual({ id: 'V-900', type: 'encounter', completedAt: '20260310155000', location: 'MAIN' });
		expect(classifyMessage(parseHl7(adtA03()), completionRules({ adtDischarge: false })).kind).toBe('ignored');
	});

	it('orders from OBR-4 by code system (CPT imaging, LOINC lab), with the placer order number', () => {
		const result = classifyMessage(parseHl7(siuMessage({ orders: [...imagingOrder, ...labOrder] })), rules);
		expect(result.kind === 'completed' && result.facts.orders).toEqual([
			{ id: 'ORD-5', type: 'imaging' },
			{ id: 'ORD-6', type: 'lab' },
		]);
	});

	it.each([
		['no PID-3', siuMessage({ patientId: '' }), 'PID-3'],
		['no appointment id', siuMessage({ appointmentId: '' }).replace('SCH|PL1234|', 'SCH||'), 'SCH-2'],
		['no control id', siuMessage({ controlId: '' }), 'MSH-10'],
		['no message type', siuMessage().replace('SIU^S14^SIU_S12', ''), 'MSH-9'],
	])('a completed visit with %s is refused naming the field', (_case, text, location) => {
		expect(() => classifyMessage(parseHl7(text), rules)).toThrow(expect.objectContaining({ location }));
	});

	it.each([
		['SPA', 'es'],
		['eng', 'en'],
		['es-MX', 'es-mx'],
		['XYZ', undefined],
	])('PID-15 %s → %s', (code, language) => {
		expect(languageFrom(code)).toBe(language);
	});

	it.each([
		['20260310153000-0500', 'America/Chicago', '2026-03-10T20:30:00.000Z'],
		['202603101530', 'America/Chicago', '2026-03-10T20:30:00.000Z'],
		['20260310153000.25+0000', 'America/Chicago', '2026-03-10T15:30:00.250Z'],
		['2026031', 'UTC', undefined],
	])('HL7 time %s in %s → %s', (value, zone, iso) => {
		expect(hl7Instant(value, zone)?.toUTC().toISO() ?? undefined).toBe(iso);
	});
});

describe('ACK and NAK', () => {
	const options = { timestamp: '20260310153001', controlId: 'ACK1' };

	it('acknowledges with the sender and receiver swapped and the message control id in MSA-2', () => {
		const ack = buildAck(parseHl7(siuMessage()), { ...options, code: 'AA' });
		const [msh, msa] = ack.split('\r');
		expect(msh).toBe('MSH|^~\\&|POSTVISIT|RIVERSIDE|EPIC|RIVERSIDE|20260310153001||ACK^S14^ACK|ACK1|P|2.5.1');
		expect(msa).toBe('MSA|AA|MSG00001|');
	});

	it('a NAK carries the reason and the location in an ERR segment, delimiters escaped', () => {
		const nak = buildAck(undefined, { ...options, code: 'AR', text: 'bad | value', location: 'MSH-2' });
		expect(nak).toContain('MSA|AR||bad \\F\\ value');
		expect(nak).toContain('ERR||MSH-2|207|E');
		expect(parseHl7(nak).value({ segment: 'MSA', field: 3 })).toBe('bad | value');
	});
});
