import type { ICredentialDataDecryptedObject, ICredentialType } from 'n8n-workflow';

import { AthenahealthApi } from '../../credentials/AthenahealthApi.credentials';
import { FhirR4Api } from '../../credentials/FhirR4Api.credentials';
import { directAuthorization } from '../../nodes/shared/n8n/http';
import { createEngine } from '../helpers/engine';

/** The Authorization header n8n's own evaluation of a credential class's `authenticate` block produces. */
async function n8nAuthorization(type: ICredentialType, credential: ICredentialDataDecryptedObject): Promise<string | undefined> {
	const engine = createEngine(
		{ nodes: [{ name: 'Fixture', type: 'test.fixture', parameters: {} }], connections: {} },
		{ nodeTypes: {}, credentialTypes: { [type.name]: type } },
	);
	const signed = await engine.credentialsHelper.authenticate(credential, type.name, { url: '/x', headers: {} }, engine.workflow, engine.node('Fixture'));
	return (signed.headers as Record<string, string | undefined>).Authorization;
}

describe('the Authorization header a node adds itself is the one the credential would add', () => {
	const fhirCases: Array<[string, ICredentialDataDecryptedObject]> = [
		['bearer token', { authentication: 'bearer', bearerToken: 'static-token-1' }],
		['basic', { authentication: 'basic', username: 'ops', password: 'pä:ss wörd' }],
		['SMART with a token', { authentication: 'smartBackend', accessToken: 'smart-token-9' }],
	];
	it.each(fhirCases)('FHIR R4, %s', async (_label, credential) => {
		const direct = directAuthorization('fhirR4Api', { baseUrl: 'http://fhir.test', ...credential });
		expect(direct?.authorization).toBeDefined();
		expect(direct?.authorization).toBe(await n8nAuthorization(new FhirR4Api(), credential));
	});

	it('FHIR R4 without authentication sends no header', async () => {
		expect(directAuthorization('fhirR4Api', { authentication: 'none' })).toEqual({});
		expect(await n8nAuthorization(new FhirR4Api(), { authentication: 'none' })).toBeUndefined();
	});

	it('athenahealth with a token', async () => {
		const credential = { environment: 'preview', practiceId: '195900', accessToken: 'athena-token-3' };
		expect(directAuthorization('athenahealthApi', credential)).toEqual({ authorization: 'Bearer athena-token-3' });
		expect(await n8nAuthorization(new AthenahealthApi(), credential)).toBe('Bearer athena-token-3');
	});

	it('DrChrono OAuth2 signs with the stored access token, as n8n\'s OAuth2 client does', () => {
		expect(directAuthorization('drChronoOAuth2Api', { oauthTokenData: { access_token: 'dc-1', refresh_token: 'r' } })).toEqual({
			authorization: 'Bearer dc-1',
		});
	});

	it('leaves the request to n8n when there is no token yet, or the credential type is unknown', () => {
		expect(directAuthorization('fhirR4Api', { authentication: 'smartBackend', accessToken: '' })).toBeUndefined();
		expect(directAuthorization('athenahealthApi', { practiceId: '1' })).toBeUndefined();
		expect(directAuthorization('drChronoOAuth2Api', {})).toBeUndefined();
		expect(directAuthorization('fhirR4Api', { authentication: 'bearer', bearerToken: '' })).toBeUndefined();
		expect(directAuthorization('someOtherApi', { accessToken: 'x' })).toBeUndefined();
	});
});
