/**
 * How much each reliability check tries. `ci` is the short profile scripts/test.sh runs (the whole suite,
 * every section together, in about six minutes); `full` meets the figures issue #7 asks for and is what
 * `npm run test:reliability` runs and RELIABILITY.md reports. RELIABILITY_PROFILE picks one; a bare
 * `npx jest -c jest.reliability.config.js` runs the short one.
 *
 * Add a count here (both profiles) rather than hard-coding it in a test file, so the two profiles stay
 * side by side; `byProfile` serves a one-off figure.
 */
export type ReliabilityProfile = 'ci' | 'full';

export const profile: ReliabilityProfile = process.env.RELIABILITY_PROFILE === 'full' ? 'full' : 'ci';

export function byProfile<T>(values: { ci: T; full: T }): T {
	return values[profile];
}

export const counts = {
	/** Forged requests per push trigger, split evenly over unsigned / wrongly signed / wrong secret. */
	forgedPerTrigger: byProfile({ ci: 24, full: 240 }),
	/** Altered bodies replayed under a captured valid athenahealth signature. */
	replayedAlteredBodies: byProfile({ ci: 8, full: 100 }),
	/** Generated malformed bodies per push trigger (every one signed where the vendor signs). */
	malformedPerTrigger: byProfile({ ci: 60, full: 1_000 }),
	/** Of the malformed bodies, how many per trigger are 5 MB. */
	hugeBodiesPerTrigger: byProfile({ ci: 1, full: 5 }),
	/** Random journeys run through the nodes in-process for the compliance check. */
	complianceJourneys: byProfile({ ci: 1_000, full: 10_000 }),
	/** Of those, journeys also run in the real n8n. */
	complianceRealSample: byProfile({ ci: 3, full: 20 }),
	/** Malformed HL7 v2 frames sent to the HL7 v2 Trigger's MLLP listener (issue #20: 1,000, each a NAK). */
	malformedHl7Messages: byProfile({ ci: 100, full: 1_000 }),
	/** Concurrent deliveries of one event. */
	concurrentDeliveries: 5,
} as const;

/** One seed per run, printed in RELIABILITY.md, so a failing generated case can be replayed. */
export const seed: number = Number(process.env.RELIABILITY_SEED ?? 20_240_707);

/**
 * The n8n port of a section: its base port (5750–5772) moved by RELIABILITY_PORT_OFFSET, so a second copy of the
 * suite (another clone, or beside `npm test`'s short profile) can run on the same machine.
 */
export function reliabilityPort(base: number): number {
	const offset = Number(process.env.RELIABILITY_PORT_OFFSET ?? 0);
	if (!Number.isInteger(offset) || offset < 0 || offset > 1000) throw new Error('RELIABILITY_PORT_OFFSET must be a whole number from 0 to 1000');
	return base + offset;
}
