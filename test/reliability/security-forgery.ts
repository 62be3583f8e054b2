/**
 * Forged deliveries for each push trigger, generated from a seed: the body is a real, signed-as-it-would-be
 * completed-visit notification, so any forged request that got through would start a journey. Three kinds,
 * in equal shares: unsigned (no usable credential header), wrongly signed (a header that is not a valid
 * signature of this body), wrong secret (the right construction with a secret that is not the trigger's).
 */
import { createHmac, randomBytes } from 'node:crypto';

import fc from 'fast-check';

import type { SandboxEhr } from '../../sandbox/environment';

export type ForgeryKind = 'unsigned' | 'wronglySigned' | 'wrongSecret';
export const forgeryKinds: ForgeryKind[] = ['unsigned', 'wronglySigned', 'wrongSecret'];

export interface Delivery {
	body: string;
	/** The genuine headers (content type, vendor headers, the valid signature). */
	headers: Record<string, string>;
}

export interface Forgery {
	kind: ForgeryKind;
	label: string;
	headers: Record<string, string>;
	body: string;
}

const hmacHex = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');

/** The header that carries the credential, per trigger. */
export const credentialHeader: Record<SandboxEhr, string> = {
	fhir: 'x-webhook-secret',
	athenahealth: 'x-hub-signature',
	drchrono: 'x-drchrono-signature',
};

function without(headers: Record<string, string>, ...names: string[]): Record<string, string> {
	const lower = names.map((name) => name.toLowerCase());
	return Object.fromEntries(Object.entries(headers).filter(([key]) => !lower.includes(key.toLowerCase())));
}

/** Secrets that are not the trigger's: near misses of the real one and unrelated values. */
function wrongSecretArb(secret: string): fc.Arbitrary<{ label: string; value: string }> {
	const flip = (index: number) => {
		const position = index % secret.length;
		const char = secret[position] === 'a' ? 'b' : 'a';
		return secret.slice(0, position) + char + secret.slice(position + 1);
	};
	return fc.oneof(
		fc.nat().map((n) => ({ label: 'one character changed', value: flip(n) })),
		fc.integer({ min: 1, max: secret.length - 1 }).map((n) => ({ label: 'a prefix of the secret', value: secret.slice(0, n) })),
		fc.string({ minLength: 1, maxLength: 8 }).map((tail) => ({ label: 'the secret plus a suffix', value: secret + tail.replace(/\s/g, 'x') })),
		fc.constant({ label: 'the secret in upper case', value: secret.toUpperCase() }),
		fc.uint8Array({ minLength: 8, maxLength: 40 }).map((bytes) => ({ label: 'a random secret', value: Buffer.from(bytes).toString('hex') })),
		fc.constantFrom(
			{ label: 'a well-known default', value: 'secret' },
			{ label: 'a well-known default', value: 'changeme' },
			{ label: 'another credential of the pack (Twilio token)', value: 'sandbox-auth-token' },
			{ label: 'another credential of the pack (EHR client secret)', value: 'sandbox-client-secret' },
		),
	);
}

/** Header values that are not a valid credential for the body, without using the secret. */
function garbageArb(): fc.Arbitrary<{ label: string; value: string }> {
	return fc.oneof(
		fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => ({ label: 'random sha256 hex', value: `sha256=${Buffer.from(bytes).toString('hex')}` })),
		fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => ({ label: 'random hex without prefix', value: Buffer.from(bytes).toString('hex') })),
		fc.uint8Array({ minLength: 20, maxLength: 20 }).map((bytes) => ({ label: 'a sha1 signature', value: `sha1=${Buffer.from(bytes).toString('hex')}` })),
		fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => ({ label: 'base64 instead of hex', value: `sha256=${Buffer.from(bytes).toString('base64')}` })),
		fc.constantFrom(
			{ label: 'zeros', value: `sha256=${'0'.repeat(64)}` },
			{ label: 'a bare scheme', value: 'sha256=' },
			{ label: 'a bare Bearer', value: 'Bearer ' },
			{ label: 'null', value: 'null' },
			{ label: 'undefined', value: 'undefined' },
			{ label: 'a JSON value', value: '{"secret":true}' },
		),
		fc.string({ minLength: 1, maxLength: 80, unit: 'grapheme-ascii' }).map((value) => ({ label: 'random printable text', value: value.trim() || 'x' })),
	);
}

/** Requests that carry no credential: header missing, empty, or under a near-miss name. */
function unsignedArb(ehr: SandboxEhr, delivery: Delivery): fc.Arbitrary<Forgery> {
	const header = credentialHeader[ehr];
	const base = without(delivery.headers, header, 'authorization');
	const value = delivery.headers[header] ?? '';
	return fc.constantFrom<Array<{ label: string; headers: Record<string, string> }>>(
		{ label: 'no credential header', headers: base },
		{ label: 'an empty credential header', headers: { ...base, [header]: '' } },
		{ label: 'the credential under a misspelled header name', headers: { ...base, [`${header}s`]: value } },
		{ label: 'the credential under another vendor\'s header', headers: { ...base, [ehr === 'athenahealth' ? 'x-drchrono-signature' : 'x-hub-signature']: value } },
		{ label: 'the credential in a query-like header', headers: { ...base, 'x-forwarded-query': `${header}=${value}` } },
		{ label: 'an empty Authorization header', headers: { ...base, authorization: '' } },
	).map((variant) => ({ kind: 'unsigned' as const, label: variant.label, headers: variant.headers, body: delivery.body }));
}

function wronglySignedArb(ehr: SandboxEhr, delivery: Delivery, secret: string, otherBody: string): fc.Arbitrary<Forgery> {
	const header = credentialHeader[ehr];
	const base = without(delivery.headers, header, 'authorization');
	const replayed = ehr === 'athenahealth' ? `sha256=${hmacHex(secret, otherBody)}` : hmacHex(secret, otherBody);
	const variants = fc.oneof(
		garbageArb(),
		// A genuine signature of another delivery: what an eavesdropper on an earlier request holds.
		fc.constant({ label: 'the signature of another delivery', value: replayed }),
		fc.integer({ min: 1, max: 63 }).map((cut) => ({ label: 'a truncated signature', value: `sha256=${hmacHex(secret, delivery.body).slice(0, cut)}` })),
		fc.constant({ label: 'the HMAC of the body with a trailing newline', value: `sha256=${hmacHex(secret, `${delivery.body}\n`)}` }),
	);
	return variants.map(({ label, value }) => {
		const headers = ehr === 'fhir' && label.includes('Bearer') ? { ...base, authorization: value } : { ...base, [header]: value };
		return { kind: 'wronglySigned' as const, label, headers, body: delivery.body };
	});
}

function wrongSecretArb2(ehr: SandboxEhr, delivery: Delivery, secret: string): fc.Arbitrary<Forgery> {
	const header = credentialHeader[ehr];
	const base = without(delivery.headers, header, 'authorization');
	return fc.tuple(wrongSecretArb(secret), fc.boolean()).map(([{ label, value }, alternate]) => {
		let headers: Record<string, string>;
		if (ehr === 'athenahealth') headers = { ...base, [header]: `sha256=${hmacHex(value, delivery.body)}` };
		// DrChrono: the raw token (what it documents) or the HMAC of the body some receivers see.
		else if (ehr === 'drchrono') headers = { ...base, [header]: alternate ? hmacHex(value, delivery.body) : value };
		// FHIR: the channel header, or Authorization: Bearer.
		else headers = alternate ? { ...base, authorization: `Bearer ${value}` } : { ...base, [header]: value };
		return { kind: 'wrongSecret' as const, label, headers, body: delivery.body };
	});
}

/** `count` forgeries for one trigger (a third of each kind), reproducible from `seed`. */
export function forgeries(ehr: SandboxEhr, delivery: Delivery, secret: string, count: number, seed: number): Forgery[] {
	const perKind = Math.ceil(count / forgeryKinds.length);
	const otherBody = JSON.stringify({ ...JSON.parse(delivery.body), id: randomBytes(8).toString('hex') });
	const sample = <T>(arb: fc.Arbitrary<T>, offset: number) => fc.sample(arb, { seed: seed + offset, numRuns: perKind });
	return [
		...sample(unsignedArb(ehr, delivery), 1),
		...sample(wronglySignedArb(ehr, delivery, secret, otherBody), 2),
		...sample(wrongSecretArb2(ehr, delivery, secret), 3),
	];
}

/**
 * athenahealth signs the body: the genuine signature replayed over a changed body must fail. Each variant
 * changes the bytes, some without changing the meaning (key order, whitespace, escapes).
 */
export function alteredBodies(body: string, count: number, seed: number): Array<{ label: string; body: string }> {
	const parsed = JSON.parse(body) as Record<string, unknown>;
	const digitChange = (index: number) => {
		const positions = [...body.matchAll(/\d/g)].map((match) => match.index as number);
		const at = positions[index % positions.length] as number;
		return body.slice(0, at) + String((Number(body[at]) + 1) % 10) + body.slice(at + 1);
	};
	const arb = fc.oneof(
		fc.nat().map((n) => ({ label: 'one digit changed (another appointment, patient or time)', body: digitChange(n) })),
		fc.constant({ label: 'the same JSON pretty-printed', body: JSON.stringify(parsed, null, 2) }),
		fc.constant({ label: 'a trailing newline', body: `${body}\n` }),
		fc.constant({ label: 'leading whitespace', body: ` ${body}` }),
		fc.constant({ label: 'keys in another order', body: JSON.stringify(Object.fromEntries(Object.entries(parsed).reverse())) }),
		fc.constant({ label: 'a character written as a \\u escape', body: body.replace('"Bundle"', '"\\u0042undle"') }),
		fc.constant({ label: 'another topic', body: body.replace(/Appointment\.check-out/g, 'Encounter.signoff') }),
		fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme-ascii' }).map((extra) => ({
			label: 'an extra field',
			body: JSON.stringify({ ...parsed, [`x${extra}`]: extra }),
		})),
	);
	return fc.sample(arb, { seed, numRuns: count }).filter((variant) => variant.body !== body);
}
