/**
 * Malformed deliveries for each push trigger, generated from a seed with fast-check. Each starts from a
 * completed-visit notification of the vendor's shape (carrying clinical text, so a leak into the log shows)
 * and breaks it one way. Every case is signed as the vendor signs unless `signed` is false, so it gets past
 * the signature check and tests the parser.
 *
 * What each case may be answered with is decided from the parsers (nodes/shared/ehr/<vendor>/):
 * a 4xx, except where the vendor's contract wants an acknowledgement for something that is merely not a
 * completed visit (`mayIgnore`): an unknown status or topic, DrChrono's patient-less appointment (a calendar
 * break), FHIR's empty-body ping. Nothing may ever start an execution.
 */
import { createHmac } from 'node:crypto';

import fc from 'fast-check';

import type { SandboxEhr } from '../../sandbox/environment';

export const malformedCategories = [
	'truncated',
	'wrongType',
	'hugeString',
	'deepNesting',
	'wrongResourceType',
	'missingPatient',
	'unknownStatus',
	'unicode',
	'notJson',
	'huge5MB',
] as const;
export type MalformedCategory = (typeof malformedCategories)[number];

export interface MalformedCase {
	category: MalformedCategory;
	label: string;
	body: Buffer;
	contentType: string;
	/** Signed as the vendor signs; false: sent with no credential at all. */
	signed: boolean;
	/** The vendor contract lets this be acknowledged (200 "ignored") rather than refused. */
	mayIgnore: boolean;
	/** Sent without Content-Length (chunked), so the size is only known once read. */
	chunked?: boolean;
}

/** Clinical text carried by every base body: it must never reach n8n's log. */
export const bodyCanary = 'Chronic kidney disease stage 3b canary-4471';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = Array<string | number>;

const vendorContentType: Record<SandboxEhr, string> = {
	fhir: 'application/fhir+json',
	athenahealth: 'application/fhir+json',
	drchrono: 'application/json',
};

/* ------------------------------------------------------------------------------------------------ */
/* Base documents and the paths whose breakage must be refused                                      */
/* ------------------------------------------------------------------------------------------------ */

/**
 * The vendor's event time of a base document: two minutes ago, so what the trigger refuses is the breakage under
 * test, never the age (it refuses pushed events older than its Maximum Event Age, 7 days by default).
 */
function recently(): string {
	return new Date(Date.now() - 2 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** DrChrono writes naive office-local times; its deliveries carry no event time, so any recent one will do. */
function recentlyNaive(): string {
	return recently().slice(0, 19);
}

function fhirClassic(): Json {
	return {
		resourceType: 'Encounter',
		id: 'rel-enc-1',
		meta: { versionId: '1', lastUpdated: recently() },
		status: 'finished',
		subject: { reference: 'Patient/demo-ana' },
		reasonCode: [{ text: bodyCanary }],
	};
}

function fhirBackport(): Json {
	return {
		resourceType: 'Bundle',
		id: 'rel-bundle-1',
		type: 'history',
		entry: [
			{
				resource: {
					resourceType: 'Parameters',
					parameter: [
						{ name: 'subscription', valueReference: { reference: 'Subscription/rel-sub' } },
						{ name: 'type', valueCode: 'event-notification' },
						{
							name: 'notification-event',
							part: [
								{ name: 'event-number', valueString: '7' },
								{ name: 'focus', valueReference: { reference: 'Encounter/rel-enc-2' } },
							],
						},
					],
				},
			},
			{
				fullUrl: 'Encounter/rel-enc-2',
				resource: {
					resourceType: 'Encounter',
					id: 'rel-enc-2',
					status: 'finished',
					subject: { reference: 'Patient/demo-ana' },
					reasonCode: [{ text: bodyCanary }],
				},
			},
		],
	};
}

function athena(): Json {
	const practice = '195900';
	return {
		resourceType: 'Bundle',
		id: 'rel-athena-1',
		type: 'history',
		entry: [
			{
				resource: {
					resourceType: 'SubscriptionStatus',
					type: 'event-notification',
					topic: 'https://api.platform.athenahealth.com/fhir/r4/SubscriptionTopic/Appointment.check-out',
					notificationEvent: [
						{
							id: 'rel-event-1',
							timestamp: recently(),
							focus: { identifier: { system: `urn:athenahealth:athenanet:appointment:${practice}`, value: '1234567' } },
							additionalContext: [{ reference: `Patient/a-${practice}.E-2001` }],
						},
					],
				},
			},
			{
				resource: {
					resourceType: 'AuditEvent',
					id: 'rel-event-1',
					type: { code: 'Appointment.check-out' },
					// Not athena's: a clinical note where a careless integration might put one.
					extension: [{ url: 'urn:note', valueString: bodyCanary }],
				},
			},
		],
	};
}

function drchrono(): Json {
	return {
		receiver: { id: 1, callback_url: 'https://n8n.example/webhook/drchrono', events: ['APPOINTMENT_MODIFY'] },
		object: {
			id: '80001',
			patient: 6001,
			doctor: 1001,
			office: 2001,
			status: 'Complete',
			scheduled_time: recentlyNaive(),
			reason: 'Office visit',
			notes: bodyCanary,
		},
	};
}

interface Shape {
	label: string;
	doc: () => Json;
	/** Required fields: a wrong type or deep nesting there must be refused. */
	required: Path[];
	/** Identifier fields: a huge or unicode-laden value there must be refused. */
	ids: Path[];
	/** The field naming the kind of resource, and whether changing it must be refused. */
	resourceType: Path[];
	missingPatient: { path: Path; mayIgnore: boolean; label: string };
	status: { path: Path[]; values: Json[] };
}

const athenaStatus: Path = ['entry', 0, 'resource'];
const athenaEvent: Path = [...athenaStatus, 'notificationEvent', 0];
const backportParameters: Path = ['entry', 0, 'resource', 'parameter'];
const backportEncounter: Path = ['entry', 1, 'resource'];

const shapes: Record<SandboxEhr, Shape[]> = {
	fhir: [
		{
			label: 'classic Encounter',
			doc: fhirClassic,
			required: [['resourceType'], ['id'], ['status'], ['subject'], ['subject', 'reference']],
			ids: [['id'], ['subject', 'reference']],
			resourceType: [['resourceType']],
			missingPatient: { path: ['subject'], mayIgnore: false, label: 'Encounter without subject' },
			status: { path: [['status']], values: ['bogus', 'in-progress', 'planned', 'cancelled', 'FINISHED', 'finished ', ''] },
		},
		{
			label: 'Backport full-resource bundle',
			doc: fhirBackport,
			required: [
				['entry'],
				// Not entry.0.resource: without a status first, the bundle is a classic Bundle of visits, which is valid.
				backportParameters,
				[...backportParameters, 1, 'valueCode'],
				[...backportParameters, 2, 'part'],
				[...backportParameters, 2, 'part', 1, 'valueReference'],
				[...backportEncounter, 'status'],
				[...backportEncounter, 'subject'],
			],
			ids: [[...backportParameters, 2, 'part', 1, 'valueReference', 'reference'], [...backportEncounter, 'subject', 'reference']],
			resourceType: [['resourceType']],
			missingPatient: { path: [...backportEncounter, 'subject'], mayIgnore: false, label: 'focus Encounter without subject' },
			status: { path: [[...backportEncounter, 'status']], values: ['bogus', 'arrived', 'triaged', 'onleave', 'entered-in-error'] },
		},
	],
	athenahealth: [
		{
			label: 'event-notification bundle',
			doc: athena,
			required: [
				['resourceType'],
				['type'],
				['entry'],
				[...athenaStatus, 'resourceType'],
				[...athenaStatus, 'type'],
				[...athenaStatus, 'notificationEvent'],
				[...athenaEvent, 'id'],
				[...athenaEvent, 'focus'],
				[...athenaEvent, 'focus', 'identifier'],
				[...athenaEvent, 'focus', 'identifier', 'value'],
				[...athenaEvent, 'focus', 'identifier', 'system'],
			],
			ids: [[...athenaEvent, 'id'], [...athenaEvent, 'focus', 'identifier', 'value']],
			resourceType: [['resourceType'], [...athenaStatus, 'resourceType']],
			// athena's notification names the appointment; the patient is read from it, so the one id it must carry is the focus.
			missingPatient: { path: [...athenaEvent, 'focus'], mayIgnore: false, label: 'no focus (athena names the patient through the appointment)' },
			status: {
				path: [[...athenaStatus, 'topic'], ['entry', 1, 'resource', 'type', 'code']],
				values: ['Appointment.bogus', 'Appointment.scheduled', 'Patient.update', 'Encounter.unsign', 'Appointment.\u202ekcehc'],
			},
		},
	],
	drchrono: [
		{
			label: 'APPOINTMENT_MODIFY',
			doc: drchrono,
			required: [['object'], ['object', 'id'], ['object', 'scheduled_time'], ['object', 'status'], ['object', 'patient'], ['object', 'deleted_flag']],
			ids: [['object', 'id'], ['object', 'patient']],
			resourceType: [['object']],
			// DrChrono: an appointment without a patient is a calendar break, which is acknowledged.
			missingPatient: { path: ['object', 'patient'], mayIgnore: true, label: 'appointment without patient' },
			status: { path: [['object', 'status']], values: ['Bogus', 'Arrived', 'Checked In', 'complete', 'In Session', 'Cancelled', 'No Show'] },
		},
	],
};

/* ------------------------------------------------------------------------------------------------ */

function setAt(doc: Json, path: Path, value: Json | undefined): Json {
	const copy = structuredClone(doc);
	let node = copy as Record<string | number, Json>;
	for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, Json>;
	const last = path[path.length - 1] as string | number;
	if (value === undefined) {
		if (Array.isArray(node)) node.splice(last as number, 1);
		else delete node[last];
	} else {
		node[last] = value;
	}
	return copy;
}

/** Values of the wrong type for any field (ints are left out: some vendors' ids are numbers). */
const wrongValues: Json[] = [true, false, [], {}, [1, 2], { x: 1 }, 1.5, ''];

/**
 * DrChrono's own blanks: its status enum includes "" (a new appointment) and `patient` is empty on a calendar
 * break, so both are acknowledged as "not a completed visit", not refused.
 */
function vendorBlank(ehr: SandboxEhr, path: Path, value: Json): boolean {
	return ehr === 'drchrono' && ['status', 'patient'].includes(String(path[path.length - 1])) && (value === '' || value === null);
}

function deep(depth: number, kind: 'array' | 'object'): string {
	return kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** JSON text of `doc` with the value at `path` replaced by raw JSON text (for values too deep to build). */
function withRaw(doc: Json, path: Path, raw: string): string {
	const marker = `__raw_${Math.random().toString(36).slice(2)}__`;
	return JSON.stringify(setAt(doc, path, marker)).replace(`"${marker}"`, raw);
}

const unicodeEdges = [
	{ label: 'a lone high surrogate', text: '\ud800' },
	{ label: 'a lone low surrogate', text: '\udfff' },
	{ label: 'a right-to-left override', text: '\u202e' },
	{ label: 'a NUL character', text: '\u0000' },
	{ label: 'an emoji', text: '\u{1fa7a}' },
	{ label: 'a zero-width joiner', text: '\u200d' },
	{ label: 'a combining accent', text: 'e\u0301' },
	{ label: 'full-width digits', text: '\uff11\uff12\uff13' },
	{ label: 'Arabic-Indic digits', text: '\u0661\u0662\u0663' },
];

interface Draft {
	category: MalformedCategory;
	label: string;
	body: Buffer | string;
	mayIgnore?: boolean;
	contentType?: string;
	chunked?: boolean;
}

function draftsFor(ehr: SandboxEhr): fc.Arbitrary<Draft> {
	const shape = fc.constantFrom(...shapes[ehr]);
	const pick = <T>(items: T[]) => fc.constantFrom(...items);

	const truncated = shape.chain((s) => {
		const text = JSON.stringify(s.doc());
		return fc.integer({ min: 1, max: text.length - 1 }).map((cut): Draft => ({ category: 'truncated', label: `${s.label} cut at ${cut} of ${text.length}`, body: text.slice(0, cut) }));
	});

	const wrongType = shape.chain((s) =>
		fc.tuple(pick(s.required), pick(wrongValues))
			// A boolean is the right type for a flag.
			.filter(([path, value]) => !(String(path[path.length - 1]).endsWith('_flag') && typeof value === 'boolean'))
			.map(([path, value]): Draft => ({
			category: 'wrongType',
			label: `${s.label}: ${path.join('.')} = ${JSON.stringify(value)}`,
			body: JSON.stringify(setAt(s.doc(), path, value)),
			mayIgnore: vendorBlank(ehr, path, value),
		})),
	);

	const hugeString = shape.chain((s) =>
		fc.tuple(pick(s.ids), fc.integer({ min: 64 * 1024, max: 900 * 1024 }), pick(['7', 'x', 'é', '\u{1f600}'])).map(([path, length, unit]): Draft => ({
			category: 'hugeString',
			label: `${s.label}: ${path.join('.')} of ${length} characters`,
			body: JSON.stringify(setAt(s.doc(), path, unit.repeat(Math.floor(length / unit.length)).slice(0, 900 * 1024 / Buffer.byteLength(unit)))),
		})),
	);

	const deepNesting = shape.chain((s) =>
		fc
			.tuple(fc.option(pick(s.required), { nil: undefined }), fc.integer({ min: 500, max: 150_000 }), pick<'array' | 'object'>(['array', 'object']))
			.map(([path, depth, kind]): Draft => ({
				category: 'deepNesting',
				label: `${s.label}: ${path ? path.join('.') : 'the whole body'} nested ${depth} deep (${kind}s)`,
				body: path ? withRaw(s.doc(), path, deep(depth, kind)) : deep(depth, kind),
			})),
	);

	const wrongResourceType = shape.chain((s) =>
		fc
			.tuple(pick(s.resourceType), pick<Json>(['Patient', 'Observation', 'Condition', 'DiagnosticReport', 'encounter', 'ENCOUNTER', 'Encounter ', '', 'Bundle\u0000']))
			.map(([path, value]): Draft => {
				// DrChrono has no resourceType: its `object` is swapped for another record (a patient).
				const replacement: Json = ehr === 'drchrono' ? { id: 6001, first_name: 'Ana', date_of_birth: '1984-03-12', resourceType: value } : value;
				return {
					category: 'wrongResourceType',
					label: `${s.label}: ${path.join('.')} = ${ehr === 'drchrono' ? 'a patient record' : JSON.stringify(value)}`,
					body: JSON.stringify(setAt(s.doc(), path, replacement)),
				};
			}),
	);

	const missingPatient = shape.chain((s) =>
		pick<Json | undefined>([undefined, null]).map((value): Draft => ({
			category: 'missingPatient',
			label: `${s.label}: ${s.missingPatient.label}${value === null ? ' (null)' : ''}`,
			body: JSON.stringify(setAt(s.doc(), s.missingPatient.path, value)),
			mayIgnore: s.missingPatient.mayIgnore,
		})),
	);

	const unknownStatus = shape.chain((s) =>
		pick(s.status.values).map((value): Draft => {
			let doc = s.doc();
			for (const path of s.status.path) doc = setAt(doc, path, ehr === 'athenahealth' && path.includes('topic') ? `https://api.platform.athenahealth.com/fhir/r4/SubscriptionTopic/${String(value)}` : value);
			return { category: 'unknownStatus', label: `${s.label}: status ${JSON.stringify(value)}`, body: JSON.stringify(doc), mayIgnore: true };
		}),
	);

	const unicode = shape.chain((s) =>
		fc.oneof(
			fc.tuple(pick(s.ids), pick(unicodeEdges), fc.boolean()).map(([path, edge, alone]): Draft => {
				const original = JSON.stringify(path.reduce<Json>((node, key) => (node as Record<string | number, Json>)[key] as Json, s.doc()));
				const value = alone ? edge.text : `${JSON.parse(original) as string}${edge.text}`;
				return { category: 'unicode', label: `${s.label}: ${path.join('.')} ${alone ? 'is' : 'ends with'} ${edge.label}`, body: JSON.stringify(setAt(s.doc(), path, value)) };
			}),
			// A byte-order mark before a truncated document (FHIR ignores a BOM, as RFC 8259 allows; athena and DrChrono refuse it).
			fc.constant<Draft>({ category: 'unicode', label: `${s.label}: a byte-order mark before broken JSON`, body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(s.doc()).slice(0, -1))]) }),
			fc.constant<Draft>({ category: 'unicode', label: `${s.label}: UTF-16 instead of UTF-8`, body: Buffer.from(JSON.stringify(s.doc()), 'utf16le') }),
			pick(s.ids).map((path): Draft => {
				const marker = '__bad_bytes__';
				const text = JSON.stringify(setAt(s.doc(), path, marker));
				const [before, after] = text.split(marker) as [string, string];
				return { category: 'unicode', label: `${s.label}: invalid UTF-8 bytes in ${path.join('.')}`, body: Buffer.concat([Buffer.from(before), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from(after)]) };
			}),
		),
	);

	const notJson = fc.constantFrom<Draft[]>(
		{ category: 'notJson', label: 'an empty body', body: '', mayIgnore: ehr === 'fhir' },
		{ category: 'notJson', label: 'whitespace only', body: ' \n\t ', mayIgnore: ehr === 'fhir' },
		{ category: 'notJson', label: 'null', body: 'null' },
		{ category: 'notJson', label: 'true', body: 'true' },
		{ category: 'notJson', label: 'a number', body: '42' },
		{ category: 'notJson', label: 'a string', body: '"Encounter"' },
		{ category: 'notJson', label: 'an empty array', body: '[]' },
		{ category: 'notJson', label: 'an array of objects', body: '[{}, {"resourceType": "Encounter"}]' },
		{ category: 'notJson', label: 'an empty object', body: '{}' },
		{ category: 'notJson', label: 'a trailing comma', body: '{"resourceType": "Bundle",}' },
		{ category: 'notJson', label: 'single quotes', body: "{'resourceType': 'Encounter'}" },
		{ category: 'notJson', label: 'a comment', body: '/* hi */ {"resourceType": "Encounter"}' },
		{ category: 'notJson', label: 'NaN', body: '{"id": NaN}' },
		{ category: 'notJson', label: 'XML', body: `<Encounter><status value="finished"/><note>${bodyCanary}</note></Encounter>`, contentType: 'application/xml' },
		{ category: 'notJson', label: 'broken XML', body: `<Encounter><note>${bodyCanary}</note`, contentType: 'application/xml' },
		{ category: 'notJson', label: 'a form', body: `resourceType=Encounter&status=finished&note=${encodeURIComponent(bodyCanary)}`, contentType: 'application/x-www-form-urlencoded' },
		{
			category: 'notJson',
			label: 'a multipart form',
			body: `--XyZ\r\nContent-Disposition: form-data; name="note"\r\n\r\n${bodyCanary}\r\n--XyZ--\r\n`,
			contentType: 'multipart/form-data; boundary=XyZ',
		},
		{ category: 'notJson', label: 'plain text', body: `Visit finished. ${bodyCanary}`, contentType: 'text/plain' },
		{ category: 'notJson', label: 'HTML', body: `<html><body>${bodyCanary}</body></html>`, contentType: 'text/html' },
		{ category: 'notJson', label: 'octet stream', body: Buffer.from([0x00, 0xff, 0x10, 0x80, 0x7b, 0x22]), contentType: 'application/octet-stream' },
	);
	const binary = fc.uint8Array({ minLength: 1, maxLength: 4096 }).map((bytes): Draft => ({ category: 'notJson', label: `${bytes.length} random bytes`, body: Buffer.from(bytes) }));

	return fc.oneof(
		{ arbitrary: truncated, weight: 12 },
		{ arbitrary: wrongType, weight: 16 },
		{ arbitrary: hugeString, weight: 6 },
		{ arbitrary: deepNesting, weight: 8 },
		{ arbitrary: wrongResourceType, weight: 10 },
		{ arbitrary: missingPatient, weight: 8 },
		{ arbitrary: unknownStatus, weight: 10 },
		{ arbitrary: unicode, weight: 14 },
		{ arbitrary: notJson, weight: 10 },
		{ arbitrary: binary, weight: 4 },
	);
}

/** Bodies of about 5 MB: over the trigger's 1 MB default, under n8n's own 16 MB. */
function hugeDrafts(ehr: SandboxEhr, count: number): Draft[] {
	const size = 5 * 1024 * 1024;
	const base = shapes[ehr][0] as Shape;
	const padded = JSON.stringify({ ...(base.doc() as Record<string, Json>), padding: 'p'.repeat(size) });
	const all: Draft[] = [
		{ category: 'huge5MB', label: 'a valid notification padded to 5 MB', body: padded },
		{ category: 'huge5MB', label: '5 MB sent chunked (no Content-Length)', body: padded, chunked: true },
		{ category: 'huge5MB', label: '5 MB of one character', body: 'a'.repeat(size) },
		{ category: 'huge5MB', label: '5 MB of nested arrays', body: deep(size / 2, 'array') },
		{ category: 'huge5MB', label: '5 MB of broken JSON as application/json', body: `{"a":"${'x'.repeat(size)}`, contentType: 'application/json' },
	];
	return Array.from({ length: count }, (_, index) => all[index % all.length] as Draft);
}

/* ------------------------------------------------------------------------------------------------ */

/** The headers that sign `body` as the vendor does (athenahealth: HMAC; DrChrono, FHIR: the shared secret). */
export function signedHeaders(ehr: SandboxEhr, body: Buffer, secret: string, variant = 0): Record<string, string> {
	switch (ehr) {
		case 'athenahealth':
			return { 'x-hub-signature': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` };
		case 'drchrono':
			return {
				'x-drchrono-signature': variant % 2 === 0 ? secret : createHmac('sha256', secret).update(body).digest('hex'),
				'x-drchrono-event': 'APPOINTMENT_MODIFY',
				'x-drchrono-delivery': `rel-delivery-${variant}`,
			};
		case 'fhir':
			return variant % 2 === 0 ? { 'x-webhook-secret': secret } : { authorization: `Bearer ${secret}` };
	}
}

/** `count` malformed cases for one trigger, `hugeCount` of them about 5 MB, about one in ten unsigned. */
export function malformedCases(ehr: SandboxEhr, options: { count: number; hugeCount: number; seed: number }): MalformedCase[] {
	const drafts = [
		...fc.sample(draftsFor(ehr), { seed: options.seed, numRuns: options.count - options.hugeCount }),
		...hugeDrafts(ehr, options.hugeCount),
	];
	const plain = fc.sample(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.boolean()), { seed: options.seed + 1, numRuns: drafts.length });
	return drafts.map((draft, index) => {
		const [roll, asJson] = plain[index] as [number, boolean];
		return {
			category: draft.category,
			label: draft.label,
			body: Buffer.isBuffer(draft.body) ? draft.body : Buffer.from(draft.body, 'utf8'),
			// Some go as plain application/json, which n8n itself parses before the trigger sees the body.
			contentType: draft.contentType ?? (asJson ? 'application/json' : vendorContentType[ehr]),
			signed: roll !== 0,
			mayIgnore: draft.mayIgnore ?? false,
			chunked: draft.chunked,
		};
	});
}
