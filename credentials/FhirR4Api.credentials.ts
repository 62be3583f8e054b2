import type {
	IAuthenticateGeneric,
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IDataObject,
	IHttpRequestHelper,
	INodeProperties,
} from 'n8n-workflow';

import { processCallBudget } from '../nodes/shared/ehr/fhir/ecwBudget';
import { defaultSmartScope, requestSmartToken } from '../nodes/shared/ehr/fhir/smart';
import type { SmartAlgorithm } from '../nodes/shared/ehr/fhir/smart';

const smartOnly = { show: { authentication: ['smartBackend'] } };
const ecwOnly = { show: { serverProfile: ['eclinicalworks'] } };

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
			displayName: 'Server',
			name: 'serverProfile',
			type: 'options',
			options: [
				{ name: 'Generic FHIR R4 (Epic, Oracle Health, Others)', value: 'generic' },
				{ name: 'eClinicalWorks', value: 'eclinicalworks', description: 'Base URL https://fhir4.eclinicalworks.com/fhir/r4/{practice code}' },
			],
			default: 'generic',
			description: "eClinicalWorks: its search limits, the 250 calls a minute per practice code, RS384 only, writeback by contract",
		},
		{
			displayName: 'Poll Location',
			name: 'ecwLocation',
			type: 'string',
			default: '',
			displayOptions: ecwOnly,
			description: 'Location id the visit poll is narrowed to (eCW searches encounters by date, location and practitioner only)',
		},
		{
			displayName: 'Poll Practitioner',
			name: 'ecwPractitioner',
			type: 'string',
			default: '',
			displayOptions: ecwOnly,
			description: 'Practitioner id the visit poll is narrowed to',
		},
		{
			displayName: 'Practice Time Zone',
			name: 'ecwZone',
			type: 'string',
			default: '',
			placeholder: 'America/New_York',
			displayOptions: ecwOnly,
			description: 'The zone "today" is counted in when polling the day\'s encounters',
		},
		{
			displayName: 'Writeback Enabled',
			name: 'ecwWriteback',
			type: 'boolean',
			default: false,
			displayOptions: ecwOnly,
			description: 'Whether the practice has a writeback contract with eClinicalWorks (Task, Communication). Without one, stage 3 notifies staff by email or SMS only.',
		},
		{
			displayName: 'Calls per Minute',
			name: 'ecwCallsPerMinute',
			type: 'number',
			default: 250,
			displayOptions: ecwOnly,
			description: 'eClinicalWorks allows 250 calls a minute per practice code, token requests included. In queue mode give each n8n process a share.',
		},
		{
			displayName: 'HL7 v2: Patient Identifier System',
			name: 'hl7PatientIdentifierSystem',
			type: 'string',
			default: '',
			placeholder: 'urn:oid:1.2.840.114350.1.13.0.1.7.5.737384.14',
			description: 'For journeys from the HL7 v2 Trigger: the FHIR identifier system of PID-3 (e.g. the MRN OID). Empty: PID-3 is the FHIR Patient ID.',
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
		if (credentials.serverProfile === 'eclinicalworks') {
			if (credentials.algorithm === 'ES384') throw new Error('eClinicalWorks accepts RS384 client assertions only: choose RS384 and an RSA key');
			// eCW counts token requests in the practice code's 250 calls a minute.
			await processCallBudget.take(String(credentials.baseUrl ?? '').replace(/\/+$/, ''), Number(credentials.ecwCallsPerMinute ?? 250) || 250);
		}
		const token = await requestSmartToken(
			async (request) => {
				const response = (await this.helpers.httpRequest({
					method: request.method,
					url: request.url,
					headers: request.headers,
					body: request.body,
					returnFullResponse: true,
					ignoreHttpStatusErrors: true,
					// The signed client assertion goes to the token endpoint only: a redirect of the POST is an error.
					disableFollowRedirect: request.method === 'POST',
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
