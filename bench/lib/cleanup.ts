/**
 * What must be stopped if the benchmark is interrupted (Ctrl-C, `timeout`, an uncaught error): the n8n
 * processes it started run in process groups of their own and would otherwise outlive it.
 */
const stoppers = new Set<() => Promise<void>>();

export function whileRunning<T extends { stop(): Promise<void> }>(resource: T): T {
	const stop = () => resource.stop();
	stoppers.add(stop);
	return resource;
}

export async function stopAll(): Promise<void> {
	const pending = [...stoppers];
	stoppers.clear();
	await Promise.allSettled(pending.map((stop) => stop()));
}

let installed = false;

/** On SIGINT/SIGTERM or an uncaught error: stop every n8n this run started, then exit (130/143/1). */
export function installSignalHandlers(log: (line: string) => void): void {
	if (installed) return;
	installed = true;
	process.once('uncaughtException', (error) => {
		console.error(error);
		void stopAll().finally(() => process.exit(1));
	});
	for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
		process.once(signal, () => {
			log(`${signal}: stopping the n8n processes this run started`);
			void stopAll().finally(() => process.exit(code));
		});
	}
}
