import type {
	ICredentialTestFunctions,
	ICredentialsDecrypted,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import { checkTebraLogin, tebraEndpoint } from '../ehr/tebra';
import type { HttpClient } from '../ehr/types';
import { checkWebhookSecrets } from '../ehr/webhookSecrets';
import { verifySmtp } from '../messaging/credentialTests';
import type { SmtpCredentialData } from '../messaging/email';
import { messageTextsFromCredential } from './messageTexts';
import { practiceProfileFromCredential } from './profile';
import { openStoreFrom } from './store';

function failure(error: unknown): INodeCredentialTestResult {
	return { status: 'Error', message: error instanceof Error ? error.message : String(error) };
}

/** Opens the journey store, creates or migrates its schema, and checks the Contact Hash Secret (set, and unchanged). */
export async function journeyStoreConnectionTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	try {
		const store = await openStoreFrom(credential.data ?? {});
		try {
			// Refuses, naming the field, when the secret is empty: opt-outs could be neither recorded nor found.
			store.addressHash('email', 'key-check@example.com');
		} finally {
			await store.close();
		}
		return { status: 'OK', message: 'Connected; the journey store schema is up to date' };
	} catch (error) {
		return failure(error);
	}
}

/** Validates the practice profile: window, caps, zone, links (none on a placeholder domain) and staff directory. */
export async function practiceProfileTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	try {
		const profile = practiceProfileFromCredential(credential.data ?? {}, { refusePlaceholderLinks: true });
		return { status: 'OK', message: `Profile of ${profile.practiceName} is valid` };
	} catch (error) {
		return failure(error);
	}
}

/** Message texts cannot be tested against a server: check every text's placeholders, sections and phrases. */
export async function messageTextsTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	try {
		const texts = messageTextsFromCredential(credential.data ?? {});
		const added = Object.keys(texts).filter((language) => language !== 'en' && language !== 'es');
		return { status: 'OK', message: `Texts are valid${added.length > 0 ? `; more languages: ${added.join(', ')}` : ''}` };
	} catch (error) {
		return failure(error);
	}
}

/** A webhook secret cannot be tested against the EHR: check that it is usable and say how to finish at the EHR. */
export async function ehrWebhookSecretTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	return checkWebhookSecrets(credential.data ?? {});
}

/** Connects to the SMTP server as sending will (TLS, login) without sending anything. */
export async function smtpConnectionTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	return await verifySmtp((credential.data ?? {}) as unknown as SmtpCredentialData);
}

/**
 * Logs in to Tebra and looks the practice up (GetPractices). A credential test gets no n8n HTTP helper but the
 * deprecated `request`, so this one call goes out through fetch, to the endpoint the credential names.
 */
export async function tebraConnectionTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const data = credential.data ?? {};
	const http: HttpClient = async (request) => {
		const response = await fetch(request.url, { method: request.method, headers: request.headers, body: String(request.body), signal: AbortSignal.timeout(20_000) });
		return { status: response.status, headers: Object.fromEntries(response.headers.entries()), body: await response.text() };
	};
	try {
		const check = await checkTebraLogin(
			http,
			{ customerKey: String(data.customerKey ?? ''), user: String(data.user ?? ''), password: String(data.password ?? '') },
			String(data.practiceName ?? ''),
			{ endpoint: String(data.endpoint || tebraEndpoint) },
		);
		return { status: check.ok ? 'OK' : 'Error', message: check.message };
	} catch (error) {
		return failure(error);
	}
}
