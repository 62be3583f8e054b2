import { randomUUID } from 'node:crypto';
import { createSecureContext } from 'node:tls';

import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	IDataObject,
	INodeCredentialTestResult,
	ITriggerFunctions,
	ITriggerResponse,
} from 'n8n-workflow';

import { completionRules, startMllpListener } from '../ehr/hl7v2';
import type { MllpListener, MllpTls } from '../ehr/hl7v2';
import { acceptHl7Frame } from '../flows/hl7v2Intake';
import type { JourneyStore } from '../store/types';
import { openStoreFrom } from './store';

function list(text: unknown): string[] {
	return String(text ?? '').split(',').map((item) => item.trim()).filter(Boolean);
}

function tlsFrom(credential: IDataObject): MllpTls {
	return {
		key: String(credential.privateKey ?? ''),
		cert: String(credential.cert ?? ''),
		ca: String(credential.ca ?? '') || undefined,
		allowedSubjects: list(credential.allowedSubjects),
	};
}

/** Builds the TLS context the listener would use: a key that does not match its certificate fails here. */
export async function hl7v2TlsTest(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	try {
		const tls = tlsFrom(credential.data ?? {});
		createSecureContext({ key: tls.key, cert: tls.cert, ca: tls.ca });
		return { status: 'OK', message: tls.ca ? 'Key, certificate and client CA are usable (mutual TLS)' : 'Key and certificate are usable' };
	} catch (error) {
		return { status: 'Error', message: error instanceof Error ? error.message : String(error) };
	}
}

async function optionalTls(context: ITriggerFunctions): Promise<MllpTls | undefined> {
	if (!context.getNode().credentials?.hl7v2MllpTlsApi) return undefined;
	return tlsFrom(await context.getCredentials('hl7v2MllpTlsApi'));
}

/**
 * The HL7 v2 Trigger's listener: opens the journey store (control-id claims) and the MLLP port, and turns each
 * completed-visit message into one execution. A manual run ("listen for test event") claims nothing and ends
 * at the first completed visit. n8n runs trigger nodes in the main process only, also in queue mode, so one
 * listener serves the port.
 */
export async function startHl7v2Trigger(context: ITriggerFunctions): Promise<ITriggerResponse> {
	const manual = context.getMode() === 'manual';
	const rules = completionRules({
		siuEvents: context.getNodeParameter('siuEvents', '') as string,
		statusField: context.getNodeParameter('statusField', '') as string,
		completedStatuses: context.getNodeParameter('completedStatuses', '') as string,
		adtDischarge: context.getNodeParameter('adtDischarge', true) as boolean,
	});
	const store: JourneyStore | undefined = manual ? undefined : await openStoreFrom(await context.getCredentials('journeyStoreApi'));
	const logger = context.logger;
	let listener: MllpListener | undefined;
	try {
		listener = await startMllpListener({
			port: context.getNodeParameter('port') as number,
			host: (context.getNodeParameter('bindAddress', '0.0.0.0') as string) || '0.0.0.0',
			allowedClients: list(context.getNodeParameter('allowedClients', '')),
			tls: await optionalTls(context),
			maxFrameBytes: (context.getNodeParameter('maxMessageKb', 1024) as number) * 1024,
			onRefused: (reason) => logger.warn(`HL7 v2 Trigger refused a connection: ${reason}`),
			answer: async (frameEvent) => {
				const result = await acceptHl7Frame(frameEvent, {
					rules,
					store,
					now: () => new Date(),
					nextControlId: () => randomUUID().replace(/-/g, '').slice(0, 20),
					emit: async (event) => {
						context.emit([[{ json: event as unknown as IDataObject }]]);
					},
				});
				if (result.outcome === 'rejected' || result.outcome === 'failed') logger.info(`HL7 v2 Trigger answered a NAK: ${result.reason ?? ''}`);
				return result.ack;
			},
		});
	} finally {
		// A port already in use (or a bad TLS key) fails the start: the store it opened is closed again.
		if (!listener) await store?.close();
	}
	const started = listener;
	return {
		closeFunction: async () => {
			await started.close();
			await store?.close();
		},
	};
}
