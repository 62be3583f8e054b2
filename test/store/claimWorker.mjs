// A claimer in a process of its own, for test/store/processes.test.ts. It runs the store's real TypeScript
// through Node 24's own TypeScript support: --experimental-transform-types (core/errors.ts uses parameter
// properties, which plain type stripping refuses) and the resolve hook below (the sources import without
// the .ts extension, as tsc wants them to).
//
//   node --experimental-transform-types test/store/claimWorker.mjs '<store config JSON>'
// stdin, one command a line:  claim <key> <at> | crash <key> <at> | steps <workflowId> <now> <limit> <token> | exit
// stdout, one JSON a line:    {"ready":true} | {"key":…,"claimed":true|false} | {"steps":[journeyId…]}
import { registerHooks } from 'node:module';
import { createInterface } from 'node:readline';

registerHooks({
	resolve(specifier, context, nextResolve) {
		try {
			return nextResolve(specifier, context);
		} catch (error) {
			if (specifier.startsWith('.') && !specifier.endsWith('.ts')) return nextResolve(`${specifier}.ts`, context);
			throw error;
		}
	},
});

const { openJourneyStore } = await import('../../nodes/shared/store/open.ts');

const store = await openJourneyStore(JSON.parse(process.argv[2]), { reusePool: false });
const info = { journeyId: 'visit:fhir:enc-processes', patientKey: 'fhir:patient-processes', stage: 1, channel: 'sms' };
const reply = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

reply({ ready: true, pid: process.pid });
for await (const line of createInterface({ input: process.stdin })) {
	const [command, key, at] = line.trim().split(' ');
	if (command === 'claim' || command === 'crash') {
		const claimed = await store.claim(key, info, at);
		if (command === 'crash') {
			// Dies between claim and send, as a crashed n8n worker would: no markSent, no release, no close.
			process.kill(process.pid, 'SIGKILL');
		}
		reply({ key, claimed });
	} else if (command === 'steps') {
		const [, workflowId, now, limit, leaseToken] = line.trim().split(' ');
		const claimed = await store.claimDueSteps({
			workflowId,
			steps: ['Reminder'],
			now,
			limit: Number(limit),
			leaseMs: 60_000,
			leaseToken,
			includeHeldUntilResume: true,
		});
		reply({ steps: claimed.map((step) => step.journeyId) });
	} else if (command === 'exit') {
		break;
	}
}
await store.close();
// Leave at once: the open stdin pipe would otherwise keep this process alive.
process.exit(0);
