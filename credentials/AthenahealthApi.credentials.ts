import type {
	IAuthenticateGeneric,
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IDataObject,
	IHttpRequestHelper,
	INodeProperties,
} from 'n8n-workflow';

import { athenaFollowUpVisitOptions, defaultAthenaFollowUpVisitItem } from '../nodes/shared/ehr/athenahealth/options';
import { athenaTokenUrl, defaultAthenaScope, requestAthenaToken } from '../nodes/shared/ehr/athenahealth/token';

/**
 * athenaOne API access (OAuth 2.0 client credentials). The access token lives in the hidden expirable field
 * `accessToken`: n8n runs `preAuthentication` when that field is empty, or when a request came back 401 (the
 * token expired after its hour), stores the new token with the credential and resends. So the token is fetched
 * about once an hour, not per request; athena limits token requests (5/min preview, 50/min production).
 */
export class AthenahealthApi implements ICredentialType {
	name = 'athenahealthApi';

	displayName = 'athenahealth (athenaOne) API';

	icon = { light: 'file:athenahealth.svg', dark: 'file:athenahealth.dark.svg' } as const;

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-post-visit#athenahealth-athenaone-api';

	properties: INodeProperties[] = [
		{
			displayName: 'Environment',
			name: 'environment',
			type: 'options',
			options: [
				{ name: 'Preview (Sandbox)', value: 'preview' },
				{ name: 'Production', value: 'production' },
				{ name: 'Custom Base URL (Local Test Server)', value: 'custom' },
			],
			default: 'preview',
			description: 'Preview is api.preview.platform.athenahealth.com, production is api.platform.athenahealth.com',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: '',
			placeholder: 'http://127.0.0.1:4010',
			description: 'Host of an athenahealth-shaped server; the token URL is this plus /oauth2/v1/token',
			displayOptions: { show: { environment: ['custom'] } },
		},
		{
			displayName: 'Client ID',
			name: 'clientId',
			type: 'string',
			default: '',
			required: true,
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
		},
		{
			displayName: 'Practice ID',
			name: 'practiceId',
			type: 'string',
			default: '',
			placeholder: '195900',
			required: true,
			description: 'The athenaOne practice ID (195900 is the preview sandbox practice)',
		},
		{
			displayName: 'Scope',
			name: 'scope',
			type: 'string',
			default: defaultAthenaScope,
			description: 'Space-separated scopes; athena/service/Athenanet.MDP.* grants the athenaOne (v1) API',
		},
		{
			displayName: 'Follow-Up Visit Action',
			name: 'followUpVisitItem',
			type: 'options',
			options: [...athenaFollowUpVisitOptions],
			default: defaultAthenaFollowUpVisitItem,
			description:
				'When a visit gets a "book your follow-up visit" action item. athena has no structured follow-up order, so this is the next step the care summary names when the visit\'s orders give none.',
		},
		{
			displayName: 'Access Token',
			name: 'accessToken',
			type: 'hidden',
			typeOptions: { expirable: true, password: true },
			default: '',
		},
	];

	async preAuthentication(
		this: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
	): Promise<IDataObject> {
		const connection = {
			environment: String(credentials.environment ?? ''),
			baseUrl: String(credentials.baseUrl ?? ''),
		};
		const token = await requestAthenaToken(async (options) => await this.helpers.httpRequest(options), {
			tokenUrl: athenaTokenUrl(connection),
			clientId: String(credentials.clientId ?? ''),
			clientSecret: String(credentials.clientSecret ?? ''),
			scope: String(credentials.scope ?? ''),
		});
		return { accessToken: token.accessToken };
	}

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: { headers: { Authorization: '=Bearer {{$credentials.accessToken}}' } },
	};

	test: ICredentialTestRequest = {
		request: {
			baseURL:
				'={{$credentials.environment === "custom" ? String($credentials.baseUrl).replace(/\\/+$/, "")' +
				' : $credentials.environment === "production" ? "https://api.platform.athenahealth.com"' +
				' : "https://api.preview.platform.athenahealth.com"}}',
			url: '=/v1/{{$credentials.practiceId}}/departments',
			qs: { limit: 1 },
		},
	};
}
