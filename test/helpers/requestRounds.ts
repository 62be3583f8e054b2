import type { HttpClient } from '../../nodes/shared/ehr/types';

export interface RequestRounds {
	http: HttpClient;
	/** Each request's path (no query), with how many answers had arrived when it went out. */
	sent: Array<{ path: string; answeredBefore: number }>;
	/** The paths grouped by round, sorted within a round: the requests that went out between the same answers. */
	rounds(): string[][];
}

/**
 * `http` with every answer held back a little, so that requests sent together are all out before the first
 * answer arrives, and with each request's round noted: requests that share a round did not wait for each other.
 * `refuse` answers a 500 instead of asking `http`.
 */
export function requestRounds(http: HttpClient, refuse: (url: string) => boolean = () => false): RequestRounds {
	const sent: RequestRounds['sent'] = [];
	let answered = 0;
	const recorded: HttpClient = async (request) => {
		const path = request.url.replace(/^https?:\/\/[^/]+/, '').replace(/\?.*/, '');
		sent.push({ path, answeredBefore: answered });
		const response = refuse(path) ? { status: 500, headers: {}, body: undefined } : await http(request);
		await new Promise((resolve) => setTimeout(resolve, 20));
		answered++;
		return response;
	};
	const rounds = () => {
		const byRound = new Map<number, string[]>();
		for (const request of sent) byRound.set(request.answeredBefore, [...(byRound.get(request.answeredBefore) ?? []), request.path]);
		return [...byRound.values()].map((paths) => paths.sort());
	};
	return { http: recorded, sent, rounds };
}
