import { createTebraClient } from './client';
import type { Pacer } from './client';
import type { HttpClient } from '../types';
import { parseTebra, practicesResultSchema } from './schemas';
import { element, tebraEndpoint } from './soap';
import type { TebraLogin } from './soap';

export type TebraLoginCheck = { ok: true; message: string } | { ok: false; message: string };

/**
 * The credential's connection test: GetPractices filtered by the practice name. Tebra answers with
 * SecurityResponse (login, permissions) and the practices it found; the name must match one exactly, since
 * GetAppointments filters by it.
 */
export async function checkTebraLogin(
	http: HttpClient,
	login: TebraLogin,
	practiceName: string,
	options: { endpoint?: string; pacer?: Pacer } = {},
): Promise<TebraLoginCheck> {
	if (!practiceName.trim()) return { ok: false, message: 'Practice Name is empty: GetAppointments needs it' };
	const client = createTebraClient({ http, login, endpoint: options.endpoint || tebraEndpoint, pacer: options.pacer });
	try {
		const result = await client.call('GetPractices', { Fields: [], Filter: [element('PracticeName', practiceName)] });
		const practices = parseTebra(practicesResultSchema, result).Practices.PracticeData;
		if (!practices.some((practice) => practice.PracticeName === practiceName)) {
			return { ok: false, message: 'Logged in, but Tebra knows no practice by this exact name: copy it from Tebra\'s settings' };
		}
		return { ok: true, message: 'Logged in to Tebra; the practice was found' };
	} catch (error) {
		return { ok: false, message: error instanceof Error ? error.message : String(error) };
	}
}
