/** HL7 v2 test messages shaped as Epic's outgoing Cadence interface and an ADT feed send them (segments joined by CR). */
export interface SiuOptions {
	event?: string;
	controlId?: string;
	status?: string;
	appointmentId?: string;
	patientId?: string;
	at?: string;
	phones?: string;
	language?: string;
	orders?: string[];
}

/** A segment with its fields at their numbers (1-based), the rest empty. */
export function segment(name: string, fields: Record<number, string>): string {
	const last = Math.max(0, ...Object.keys(fields).map(Number));
	return [name, ...Array.from({ length: last }, (_, index) => fields[index + 1] ?? '')].join('|');
}

export function siuMessage(options: SiuOptions = {}): string {
	const at = options.at ?? '20260310153000-0500';
	const event = options.event ?? 'S14';
	return [
		`MSH|^~\\&|EPIC|RIVERSIDE|POSTVISIT|RIVERSIDE|${at}||SIU^${event}^SIU_S12|${options.controlId ?? 'MSG00001'}|P|2.5.1`,
		segment('SCH', { 1: 'PL1234', 2: options.appointmentId ?? 'APT-77', 7: '^Follow-up', 8: 'OFFICE VISIT', 9: '20', 10: 'MIN', 11: '^^20^202603101500^202603101520', 25: options.status ?? 'Complete' }),
		`PID|1||${options.patientId ?? 'E1001'}^^^EPIC^MR||García^Ana^M||19840312|F|||1 Main St^^Austin^TX^78701||${options.phones ?? '^PRN^CP^^1^512^5550101~^NET^Internet^ana.garcia@patients.example'}|^WPN^PH^^1^512^5550177|${options.language ?? 'SPA^Spanish^ISO6392'}`,
		'PV1|1|O|RFM^^^RIVERSIDE',
		...(options.orders ?? []),
		'RGS|1',
		'AIS|1||99213^Office visit^C4|202603101500|||20|MIN',
		'AIL|1||RFM^^^RIVERSIDE',
	].join('\r');
}

export function adtA03(options: { controlId?: string; visitNumber?: string; discharged?: string } = {}): string {
	return [
		`MSH|^~\\&|ECW|CLINIC7|POSTVISIT|CLINIC7|20260310160000||ADT^A03^ADT_A03|${options.controlId ?? 'ADT0001'}|P|2.5.1`,
		'EVN|A03|20260310155500',
		'PID|1||P77^^^ECW^MR||Miller^John||19690730|M|||||^PRN^PH^^1^617^5550102',
		segment('PV1', { 1: '1', 2: 'O', 3: 'MAIN^^^CLINIC7', 19: options.visitNumber ?? 'V-900', 45: options.discharged ?? '20260310155000' }),
	].join('\r');
}

/** An order the way Epic sends one with the visit: ORC + OBR with a CPT imaging code. */
export const imagingOrder = ['ORC|NW|ORD-5^EPIC', 'OBR|1|ORD-5^EPIC||71046^Chest X-ray 2 views^C4'];
export const labOrder = ['ORC|NW|ORD-6^EPIC', 'OBR|2|ORD-6^EPIC||2345-7^Glucose^LN'];

/** 1,000 malformed messages of many shapes: none parses as a completed visit, none may start anything. */
export function malformedMessages(count: number): string[] {
	const valid = siuMessage();
	const shapes: Array<(i: number) => string> = [
		(i) => `garbage ${i}`,
		() => '',
		(i) => valid.replace('MSH|^~\\&', `MSH|^~`) + i,
		(i) => valid.replace('MSH|', 'MSH') + i,
		(i) => `PID|1||${i}`,
		(i) => valid.replace('SIU^S14^SIU_S12', `XX${i}`),
		(i) => valid.replace('MSG00001', '').replace('PID|1||E1001', `PID|1||E${i}`),
		(i) => valid.replace(/PID\|1\|\|E1001[^\r]*/, `PID|${i}`),
		(i) => valid.replace('\rPV1', `\rp${i}x|`),
		(i) => `MSH|^~\\&|${'A'.repeat(i % 50)}\r\u0000\u0001|||`,
	];
	return Array.from({ length: count }, (_, i) => shapes[i % shapes.length](i));
}
