/** The only place the pack reads the clock; the core gets `now` passed in. */
export function nowIso(): string {
	return new Date().toISOString();
}
