import { sleep } from './stats';

/**
 * Open loop: starts `count` operations at a fixed rate whatever the system does (no coordinated omission:
 * a late start is not skipped but issued at once, and its latency counts from when it was due).
 * Resolves when every operation has been started; the operations' promises are returned to await.
 */
export async function openLoop(options: {
	ratePerSecond: number;
	count: number;
	/** `dueAt`: the epoch ms this operation was scheduled for (measure latency from it). */
	start: (index: number, dueAt: number) => Promise<void>;
}): Promise<Promise<void>[]> {
	const started: Promise<void>[] = [];
	const t0 = performance.now();
	const epoch0 = Date.now();
	const interval = 1000 / options.ratePerSecond;
	for (let index = 0; index < options.count; index++) {
		const due = t0 + index * interval;
		const wait = due - performance.now();
		if (wait > 1) await sleep(wait);
		started.push(options.start(index, epoch0 + index * interval));
	}
	return started;
}

/**
 * Closed loop: `concurrency` workers, each starting its next operation when the previous one finished, for
 * `durationMs`. Returns how many operations each worker finished.
 */
export async function closedLoop(options: {
	concurrency: number;
	durationMs: number;
	runOne: () => Promise<void>;
}): Promise<number> {
	const deadline = performance.now() + options.durationMs;
	let finished = 0;
	const worker = async () => {
		while (performance.now() < deadline) {
			await options.runOne();
			finished += 1;
		}
	};
	await Promise.all(Array.from({ length: options.concurrency }, worker));
	return finished;
}

/** Resolves with true when `promise` settles within `ms`, false otherwise. */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
	const result = await Promise.race([promise.then(() => true), timeout]);
	clearTimeout(timer);
	return result;
}
