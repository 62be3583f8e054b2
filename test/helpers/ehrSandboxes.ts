import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import type { EhrKind } from '../../nodes/shared/core/schemas';
import { parseNotification } from '../../nodes/shared/ehr/notifications';
import type { InboundRequest, NotificationEvent } from '../../nodes/shared/ehr/types';
import { startAthenaServer } from '../../sandbox/athenahealth-server';
import type { AthenaSandbox } from '../../sandbox/athenahealth-server';
import { demoPatients } from '../../sandbox/demo-patients';
import { startDrChronoServer } from '../../sandbox/drchrono-server';
import type { DrChronoServer } from '../../sandbox/drchrono-server';
import { startFhirServer } from '../../sandbox/fhir-server';
import type { FhirServer } from '../../sandbox/fhir-server';
import { athenaCredential, drChronoCredential, fhirCredential } from './fixtures';

export const athenaClient = { clientId: 'sandbox-client', clientSecret: 'sandbox-client-secret' };
export const drChronoToken = 'sandbox-drchrono-token';
export const john = demoPatients.find((patient) => patient.key === 'john')!;

/** The three local EHR servers of a test file, running from its beforeAll to its afterAll. */
export interface EhrSandboxes {
	readonly fhir: FhirServer;
	readonly athena: AthenaSandbox;
	readonly drchrono: DrChronoServer;
	/** The n8n credential for this EHR's local server, keyed by its credential type. */
	credentials(ehr: EhrKind): Record<string, ICredentialDataDecryptedObject>;
	/** The first event the EHR Trigger emits for this signed delivery: the vendor's own parser, over the exact bytes. */
	verified(ehr: EhrKind, request: InboundRequest): NotificationEvent;
}

/**
 * Starts the local FHIR, athenahealth and DrChrono servers before the file's tests and closes them after.
 * `webhookSecret` signs DrChrono's deliveries and verifies every EHR's; without it DrChrono sends none.
 */
export function useEhrSandboxes(options: { webhookSecret?: string } = {}): EhrSandboxes {
	const { webhookSecret } = options;
	let servers: { fhir: FhirServer; athena: AthenaSandbox; drchrono: DrChronoServer } | undefined;
	const started = () => {
		if (!servers) throw new Error('the EHR sandboxes run only inside the tests of the file that uses them');
		return servers;
	};

	beforeAll(async () => {
		const [fhir, athena, drchrono] = await Promise.all([
			startFhirServer(),
			startAthenaServer({ practiceId: '195900', ...athenaClient }),
			startDrChronoServer({
				accessToken: drChronoToken,
				zone: 'America/Chicago',
				webhook: webhookSecret === undefined ? undefined : { secret: webhookSecret },
			}),
		]);
		servers = { fhir, athena, drchrono };
	});
	afterAll(async () => {
		if (servers) await Promise.all([servers.fhir.close(), servers.athena.close(), servers.drchrono.close()]);
	});

	return {
		get fhir() {
			return started().fhir;
		},
		get athena() {
			return started().athena;
		},
		get drchrono() {
			return started().drchrono;
		},
		credentials(ehr): Record<string, ICredentialDataDecryptedObject> {
			const { fhir, athena, drchrono } = started();
			if (ehr === 'fhir') return { fhirR4Api: fhirCredential(fhir) };
			if (ehr === 'athenahealth') return { athenahealthApi: athenaCredential(athena, athenaClient) };
			return { drChronoOAuth2Api: drChronoCredential(drchrono, drChronoToken) };
		},
		verified(ehr, request) {
			if (webhookSecret === undefined) throw new Error('useEhrSandboxes was started without a webhook secret');
			const result = parseNotification(ehr, request, { secrets: { current: webhookSecret } });
			if (result.kind !== 'events') throw new Error(`delivery not accepted: ${JSON.stringify(result)}`);
			return result.events[0]!;
		},
	};
}

/** An inbound webhook POST carrying these exact body bytes. */
export function post(body: string, headers: Record<string, string>): InboundRequest {
	return { method: 'POST', headers, query: {}, rawBody: Buffer.from(body, 'utf8') };
}
