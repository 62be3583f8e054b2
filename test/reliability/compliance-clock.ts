import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The clock of the compliance run, passed in. The pack reads the time in one place (nodes/shared/n8n/clock.ts:
 * `new Date()`), luxon reads `Date.now()`, and the local servers stamp what they receive with `Date.now()`.
 * While installed, `Date` answers "now" from the simulated clock of the async context it is called in, so
 * several simulated practices run side by side, each at its own instant: everything started inside
 * `clock.run(...)` — the node executions and the practice's own EHR, Twilio and SMTP servers — sees that
 * practice's time. Outside any context, the real time.
 */
const RealDate = Date;
const storage = new AsyncLocalStorage<SimulatedClock>();

export class SimulatedClock {
	constructor(private instant: number) {}

	get now(): number {
		return this.instant;
	}

	iso(): string {
		return new RealDate(this.instant).toISOString();
	}

	/** Moves the clock to `instant`; never backwards (a simulated practice lives forward in time). */
	set(instant: number): void {
		if (instant < this.instant) throw new Error(`the simulated clock cannot go back from ${this.iso()} to ${new RealDate(instant).toISOString()}`);
		this.instant = instant;
	}

	run<T>(work: () => Promise<T>): Promise<T> {
		return storage.run(this, work);
	}
}

function nowMs(): number {
	return storage.getStore()?.now ?? RealDate.now();
}

const SimulatedDate = new Proxy(RealDate, {
	construct(target, args, newTarget) {
		return Reflect.construct(target, args.length === 0 ? [nowMs()] : args, newTarget) as object;
	},
	apply() {
		return new RealDate(nowMs()).toString();
	},
	get(target, property, receiver) {
		if (property === 'now') return nowMs;
		return Reflect.get(target, property, receiver) as unknown;
	},
});

/** Replaces the global Date for the test file; returns the function that puts the real one back. */
export function installSimulatedDate(): () => void {
	globalThis.Date = SimulatedDate;
	return () => {
		globalThis.Date = RealDate;
	};
}

export { RealDate };
