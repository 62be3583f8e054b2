
import type { INodeProperties } from 'n8n-workflow';

import { DrChronoOAuth2Api } from '../../../credentials/DrChronoOAuth2Api.credentials';
import { startDrChronoServer } from '../../../sandbox/drchrono-server';
import { NOW, TOKEN, ZONE } from './fixtures';

const property = (properties: INodeProperties[], name: string) => {
	const found = properties.find((candidate) => candidate.name === name);
	if (!found) throw new Error(`no property ${name}`);
	return found;
};

/** Evaluates an n8n `={{ … }}` expression that only reads `$self`, the way n8n resolves hidden OAuth fields. */
function evaluateWithSelf(expression: unknown, self: Record<string, unknown>): unknown {
	const source = String(expression);
	expect(source.startsWith('={{') && source.endsWith('}}')).toBe(true);
	return new Function('$self', `return (${source.slice(3, -2)});`)(self);
}

describe('DrChronoOAuth2Api credential', () => {
	const credential = new DrChronoOAuth2Api();

	it('is an authorization-code OAuth2 credential with client credentials in the body', () => {
		expect(credential).toMatchObject({ name: 'drChronoOAuth2Api', displayName: 'DrChrono OAuth2 API', extends: ['oAuth2Api'] });
		expect(property(credential.properties, 'grantType')).toMatchObject({ type: 'hidden', default: 'authorizationCode' });
		expect(property(credential.properties, 'authentication')).toMatchObject({ type: 'hidden', default: 'body' });
		expect(property(credential.properties, 'authQueryParameters')).toMatchObject({ type: 'hidden', default: '' });
	});

	it('asks for the DrChrono scopes the adapter uses', () => {
		const scopes = String(property(credential.properties, 'scope').default).split(' ');
		expect(scopes).toEqual(
			expect.arrayContaining(['user:read', 'calendar:read', 'clinical:read', 'patients:read', 'labs:read', 'tasks:read', 'tasks:write']),
		);
		expect(scopes.every((scope) => /^[a-z]+(:[a-z-]+)?:(read|write)$/.test(scope))).toBe(true);
	});

	it.each([
		['the production API', 'https://app.drchrono.com', 'https://drchrono.com/o/authorize/', 'https://drchrono.com/o/token/'],
		['an empty base URL', '', 'https://drchrono.com/o/authorize/', 'https://drchrono.com/o/token/'],
		['the sandbox', 'http://127.0.0.1:4010', 'http://127.0.0.1:4010/o/authorize/', 'http://127.0.0.1:4010/o/token/'],
		['the sandbox with a trailing slash', 'http://127.0.0.1:4010/', 'http://127.0.0.1:4010/o/authorize/', 'http://127.0.0.1:4010/o/token/'],
	])('points OAuth at DrChrono or the sandbox: %s', (_label, baseUrl, authUrl, accessTokenUrl) => {
		expect(evaluateWithSelf(property(credential.properties, 'authUrl').default, { baseUrl })).toBe(authUrl);
		expect(evaluateWithSelf(property(credential.properties, 'accessTokenUrl').default, { baseUrl })).toBe(accessTokenUrl);
	});

	it('shows the base URL, defaulting to https://app.drchrono.com, and tests with GET /api/users/current', () => {
		expect(property(credential.properties, 'baseUrl')).toMatchObject({ type: 'string', default: 'https://app.drchrono.com' });
		expect(credential.test).toEqual({
			request: { baseURL: '={{ $credentials.baseUrl || "https://app.drchrono.com" }}', url: '/api/users/current', method: 'GET' },
		});
	});
});

describe('the sandbox OAuth endpoints', () => {
	it('runs the authorization-code flow, serves the test request and rotates tokens on refresh', async () => {
		const server = await startDrChronoServer({ accessToken: TOKEN, zone: ZONE, now: () => NOW });
		try {
			const authorize = await fetch(
				`${server.url}/o/authorize/?response_type=code&client_id=sandbox-client-id&redirect_uri=${encodeURIComponent('http://localhost:5678/rest/oauth2-credential/callback')}&state=xyz&scope=user%3Aread`,
				{ redirect: 'manual' },
			);
			expect(authorize.status).toBe(302);
			const location = new URL(authorize.headers.get('location')!);
			expect(location.searchParams.get('state')).toBe('xyz');
			const code = location.searchParams.get('code')!;

			const tokenRequest = (form: Record<string, string>) =>
				fetch(`${server.url}/o/token/`, {
					method: 'POST',
					headers: { 'content-type': 'application/x-www-form-urlencoded' },
					body: new URLSearchParams({ client_id: 'sandbox-client-id', client_secret: 'sandbox-client-secret', ...form }),
				});
			const issued = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: 'http://localhost:5678/rest/oauth2-credential/callback' });
			const tokens = (await issued.json()) as { access_token: string; refresh_token: string; expires_in: number };
			expect(issued.status).toBe(200);
			expect(tokens.expires_in).toBe(172800);

			const reused = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: 'http://localhost:5678/rest/oauth2-credential/callback' });
			expect(reused.status).toBe(400);

			const current = await fetch(`${server.url}/api/users/current`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
			expect(current.status).toBe(200);
			expect(await current.json()).toMatchObject({ id: 'drgrey', doctor: 1001 });

			const refreshed = await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
			const next = (await refreshed.json()) as { access_token: string };
			expect(refreshed.status).toBe(200);
			const withOld = await fetch(`${server.url}/api/users/current`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
			const withNew = await fetch(`${server.url}/api/users/current`, { headers: { authorization: `Bearer ${next.access_token}` } });
			expect([withOld.status, withNew.status]).toEqual([401, 200]);

			const badClient = await fetch(`${server.url}/o/token/`, {
				method: 'POST',
				headers: { 'content-type': 'application/x-www-form-urlencoded' },
				body: new URLSearchParams({ client_id: 'sandbox-client-id', client_secret: 'wrong', grant_type: 'refresh_token', refresh_token: 'x' }),
			});
			expect(badClient.status).toBe(401);
		} finally {
			await server.close();
		}
	});

	it('requires the Bearer token on the API and requires since, date or date_range on appointments', async () => {
		const server = await startDrChronoServer({ accessToken: TOKEN, zone: ZONE, now: () => NOW });
		try {
			const anonymous = await fetch(`${server.url}/api/patients/5001`);
			expect(anonymous.status).toBe(401);
			expect(await anonymous.json()).toEqual({ detail: 'Authentication credentials were not provided.' });
			const unfiltered = await fetch(`${server.url}/api/appointments`, { headers: { authorization: `Bearer ${TOKEN}` } });
			expect(unfiltered.status).toBe(400);
		} finally {
			await server.close();
		}
	});
});
