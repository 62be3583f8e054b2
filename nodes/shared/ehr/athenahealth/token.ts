import { EhrHttpError } from '../http';
import { EHR, vendorErrorText } from './mapping';
import { oauthErrorSchema, tokenResponseSchema } from './schemas';

export const athenaHosts = {
	preview: 'https://api.preview.platform.athenahealth.com',
	production: 'https://api.platform.athenahealth.com',
} as const;

export const defaultAthenaScope = 'athena/service/Athenanet.MDP.*';

export interface AthenaConnection {
	/** preview | production | custom (a local athenahealth-shaped server). */
	environment?: string;
	/** Used when environment is custom, e.g. http://127.0.0.1:4010. */
	baseUrl?: string;
}

/** The API host every path (/v1/{practiceid}/…, /oauth2/v1/token) is relative to; no trailing slash. */
export function athenaBaseUrl(connection: AthenaConnection): string {
	if (connection.environment === 'custom') {
		const custom = (connection.baseUrl ?? '').trim().replace(/\/+$/, '');
		if (/^https?:\/\//.test(custom)) return custom;
		throw new Error('athenahealth: a custom environment needs a base URL (http or https)');
	}
	return connection.environment === 'production' ? athenaHosts.production : athenaHosts.preview;
}

export function athenaTokenUrl(connection: AthenaConnection): string {
	return `${athenaBaseUrl(connection)}/oauth2/v1/token`;
}

/** The subset of n8n's `helpers.httpRequest` the token request uses (so this file needs no n8n import). */
export interface TokenHttpOptions {
	method: 'POST';
	url: string;
	headers: Record<string, string>;
	body: string;
	json: boolean;
	returnFullResponse: boolean;
	ignoreHttpStatusErrors: boolean;
	timeout: number;
	/** The client secret goes to the token endpoint only: a redirect is an error, never followed. */
	disableFollowRedirect: true;
	sendCredentialsOnCrossOriginRedirect: false;
}
export type TokenHttpRequest = (options: TokenHttpOptions) => Promise<unknown>;

export interface TokenRequest {
	tokenUrl: string;
	clientId: string;
	clientSecret: string;
	scope?: string;
}

export interface AthenaToken {
	accessToken: string;
	/** Seconds, as athena reports it (3600). n8n does not read it: it refreshes on a 401. */
	expiresIn?: number;
}

function fullResponse(raw: unknown): { status: number; body: unknown } {
	if (raw && typeof raw === 'object' && 'statusCode' in raw) {
		const response = raw as { statusCode: number; body?: unknown };
		let body = response.body;
		if (typeof body === 'string') {
			try {
				body = JSON.parse(body);
			} catch {
				// an HTML error page: reported by status only
			}
		}
		return { status: response.statusCode, body };
	}
	return { status: 200, body: raw };
}

/**
 * OAuth 2.0 client credentials against athena's token endpoint: form body
 * `grant_type=client_credentials&scope=…`, client authenticated with HTTP Basic (id:secret), as athena documents
 * and production clients (Metriport) do. athena limits token requests (5/min preview, 50/min production), which
 * is why the credential stores the token in an expirable field and n8n only calls this when the field is empty
 * or a request came back 401. Errors carry athena's error code, never the secret.
 */
export async function requestAthenaToken(httpRequest: TokenHttpRequest, request: TokenRequest): Promise<AthenaToken> {
	if (!request.clientId || !request.clientSecret) {
		throw new Error('athenahealth: the credential needs a client ID and a client secret');
	}
	const basic = Buffer.from(`${request.clientId}:${request.clientSecret}`, 'utf8').toString('base64');
	const raw = await httpRequest({
		method: 'POST',
		url: request.tokenUrl,
		headers: {
			Authorization: `Basic ${basic}`,
			'Content-Type': 'application/x-www-form-urlencoded',
			Accept: 'application/json',
		},
		body: new URLSearchParams({
			grant_type: 'client_credentials',
			scope: request.scope?.trim() || defaultAthenaScope,
		}).toString(),
		json: false,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		timeout: 20_000,
		disableFollowRedirect: true,
		sendCredentialsOnCrossOriginRedirect: false,
	});
	const { status, body } = fullResponse(raw);
	if (status < 200 || status >= 300) {
		const description = oauthErrorSchema.safeParse(body).data?.error_description;
		const detail = (description ?? vendorErrorText(body))?.slice(0, 120);
		const retryable = status === 429 || status >= 500;
		throw new EhrHttpError(EHR, status, `token request refused${detail ? `: ${detail}` : ''}`, retryable);
	}
	const parsed = tokenResponseSchema.safeParse(body);
	if (!parsed.success) throw new EhrHttpError(EHR, status, 'token response had no access_token', false);
	return { accessToken: parsed.data.access_token, expiresIn: parsed.data.expires_in };
}
