import type { ICredentialTestRequest, ICredentialType, INodeProperties } from 'n8n-workflow';

const productionApi = 'https://app.drchrono.com';

/** OAuth endpoints: DrChrono's own for the production API, the sandbox's for any other base URL. */
function oauthUrl(path: string, production: string): string {
	const base = '$self["baseUrl"]';
	const trimmed = `(${base}.endsWith("/") ? ${base}.slice(0, -1) : ${base})`;
	return `={{ (!${base} || ${base}.startsWith("${productionApi}")) ? "${production}" : ${trimmed} + "${path}" }}`;
}

/**
 * DrChrono's API through OAuth 2.0 (authorization code only; access tokens last 48 h and n8n refreshes
 * them with the refresh token). Scopes are DrChrono's `BASE:[read|write]`: the calendar and clinical
 * scopes for appointments, medications and care plans, patients for contact data, labs for lab orders,
 * user for doctors and offices, tasks for the escalation task.
 */
export class DrChronoOAuth2Api implements ICredentialType {
	name = 'drChronoOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'DrChrono OAuth2 API';

	icon = { light: 'file:drchrono.svg', dark: 'file:drchrono.dark.svg' } as const;

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-post-visit#drchrono-oauth2-api';

	properties: INodeProperties[] = [
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: productionApi,
			description:
				'Leave as https://app.drchrono.com. Change it only to point at the local DrChrono sandbox, whose OAuth endpoints are then used too.',
		},
		{
			displayName: 'Grant Type',
			name: 'grantType',
			type: 'hidden',
			default: 'authorizationCode',
		},
		{
			displayName: 'Authorization URL',
			name: 'authUrl',
			type: 'hidden',
			default: oauthUrl('/o/authorize/', 'https://drchrono.com/o/authorize/'),
			required: true,
		},
		{
			displayName: 'Access Token URL',
			name: 'accessTokenUrl',
			type: 'hidden',
			default: oauthUrl('/o/token/', 'https://drchrono.com/o/token/'),
			required: true,
		},
		{
			displayName: 'Scope',
			name: 'scope',
			type: 'hidden',
			default:
				'user:read calendar:read calendar:write clinical:read clinical:write patients:read labs:read tasks:read tasks:write',
		},
		{
			displayName: 'Auth URI Query Parameters',
			name: 'authQueryParameters',
			type: 'hidden',
			default: '',
		},
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'hidden',
			default: 'body',
		},
	];

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{ $credentials.baseUrl || "https://app.drchrono.com" }}',
			url: '/api/users/current',
			method: 'GET',
		},
	};
}
