import type {
	IAuthenticateGeneric,
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IDataObject,
	IHttpRequestHelper,
	INodeProperties,
} from 'n8n-workflow';

import { defaultSmartScope, requestSmartToken } from '../nodes/shared/ehr/fhir/smart';
import type { SmartAlgorithm } from '../nodes/shared/ehr/fhir/smart';

const smartOnly = { show: { authentication: ['smartBackend'] } };

/**
 * A FHIR R4 server (Epic, Oracle Health, Medplum, HAPI…). SMART Backend Services gets its access token in
 * `preAuthentication` (a signed client assertion exchanged at the token endpoint); n8n stores the token in the
 * hidden expirable field and asks again when the server answers 401.
 */
export class FhirR4Api implements ICredentialType {
	name = 'fhirR4Api';

	displayName = 'FHIR R4 API';

	icon = { light: 'file:fhir.svg', dark: 'file:fhir.dark.svg' } as const;

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-post-visit#fhir-r4-api-epic-and-other-fhir-ehrs';

	properties: INodeProperties[] = [
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://fhir.example-ehr.com/api/FHIR/R4',
			description: 'The FHIR R4 endpoint of the EHR, without a trailing /metadata',
		},
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'options',
			options: [
				{ name: 'SMART Backend Services (Signed JWT)', value: 'smartBackend' },
				{ name: 'Bearer Token', value: 'bearer' },
				{ name: 'Basic Auth', value: 'basic' },
				{ name: 'None', value: 'none' },
			],
			default: 'smartBackend',
			description: 'Epic and most certified EHRs use SMART Backend Services; local test servers may use a token or none',
		},
		{
			displayName: 'Client ID',
			name: 'clientId',
			type: 'string',
			default: '',
			displayOptions: smartOnly,
			description: 'The client ID the EHR issued when your public key was registered',
		},
		{
			displayName: 'Token URL',
			name: 'tokenUrl',
			type: 'string',
			default: '',
			displayOptions: smartOnly,
			placeholder: 'https://fhir.example-ehr.com/oauth2/token',
			description: 'Leave empty to discover it from {Base URL}/.well-known/smart-configuration',
		},
		{
			displayName: 'Private Key (PEM)',
			name: 'privateKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: smartOnly,
			description: 'The private key matching the public key registered with the EHR (PKCS#8 "BEGIN PRIVATE KEY" or RSA/EC PEM)',
		},
		{
			displayName: 'Key ID',
			name: 'keyId',
			type: 'string',
			default: '',
			displayOptions: smartOnly,
			description: 'The "kid" of the key in the JWKS you registered; sent in the assertion header',
		},
		{
			displayName: 'Signing Algorithm',
			name: 'algorithm',
			type: 'options',
			options: [
				{ name: 'RS384 (RSA)', value: 'RS384' },
				{ name: 'ES384 (EC P-384)', value: 'ES384' },
			],
			default: 'RS384',
			displayOptions: smartOnly,
		},
		{
			displayName: 'Scope',
			name: 'scope',
			type: 'string',
			default: defaultSmartScope,
			displayOptions: smartOnly,
			description: 'SMART system scopes to request; the default covers what the post-visit nodes read and write',
		},
		{
			displayName: 'Access Token',
			name: 'accessToken',
			type: 'hidden',
			typeOptions: { expirable: true, password: true },
			default: '',
		},
		{
			displayName: 'Bearer Token',
			name: 'bearerToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { authentication: ['bearer'] } },
		},
		{
			displayName: 'Username',
			name: 'username',
			type: 'string',
			default: '',
			displayOptions: { show: { authentication: ['basic'] } },
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { authentication: ['basic'] } },
		},
	];

	// Called by n8n when "accessToken" is empty or the server answered 401: only SMART has a token to fetch.
	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject): Promise<IDataObject> {
		if (credentials.authentication !== 'smartBackend') return {};
		const token = await requestSmartToken(
			async (request) => {
				const response = (await this.helpers.httpRequest({
					method: request.method,
					url: request.url,
					headers: request.headers,
					body: request.body,
					returnFullResponse: true,
					ignoreHttpStatusErrors: true,
				})) as { statusCode: number; body: unknown };
				return { status: response.statusCode, body: response.body };
			},
			{
				baseUrl: String(credentials.baseUrl ?? ''),
				tokenUrl: String(credentials.tokenUrl ?? ''),
				clientId: String(credentials.clientId ?? ''),
				privateKeyPem: String(credentials.privateKey ?? ''),
				keyId: credentials.keyId ? String(credentials.keyId) : undefined,
				algorithm: (credentials.algorithm === 'ES384' ? 'ES384' : 'RS384') as SmartAlgorithm,
				scope: String(credentials.scope ?? ''),
				now: new Date(),
			},
		);
		return { accessToken: token.accessToken };
	}

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization:
					'={{ $credentials.authentication === "smartBackend" ? "Bearer " + $credentials.accessToken : $credentials.authentication === "bearer" ? "Bearer " + $credentials.bearerToken : $credentials.authentication === "basic" ? "Basic " + ($credentials.username + ":" + $credentials.password).base64Encode() : undefined }}',
			},
		},
	};

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl}}',
			url: '/metadata',
			method: 'GET',
			headers: { Accept: 'application/fhir+json' },
		},
	};
}
