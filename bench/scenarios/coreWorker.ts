/**
 * The core decision path in-process, on one core: for each journey item, cadence (planTouch: due time pushed
 * into the send window), guard (evaluateTouch), routing (routeChannels) and composition (composeMessage for
 * every routed channel). Only nodes/shared/core, plus the two pure helpers of flows/messageVars.ts that pick
 * the template and its variables exactly as Patient Message does. Run as a child process (see core.ts); prints
 * one JSON line.
 */
import { DateTime } from 'luxon';

import { composeMessage } from '../../nodes/shared/core/compose';
import { planTouch } from '../../nodes/shared/core/cadence';
import { evaluateTouch } from '../../nodes/shared/core/guard';
import type { TouchHistory } from '../../nodes/shared/core/guard';
import { parsePracticeProfile } from '../../nodes/shared/core/practice';
import { routeChannels } from '../../nodes/shared/core/routing';
import type { RoutingHistory } from '../../nodes/shared/core/routing';
import type { VisitEvent } from '../../nodes/shared/core/schemas';
import { messageVarsFor, templateFor } from '../../nodes/shared/flows/messageVars';

const zones = ['America/Chicago', 'America/New_York', 'America/Los_Angeles', 'America/Phoenix', 'Pacific/Honolulu', 'America/Denver', 'Europe/Madrid', 'America/Puerto_Rico'];
const actionTypes = ['followUpVisit', 'imaging', 'lab', 'referral', 'prescription'] as const;

const profile = parsePracticeProfile({
	practiceName: 'Riverside Family Medicine',
	practicePhone: '(512) 555-0100',
	defaultZone: 'America/Chicago',
	sendPolicy: { window: { start: '09:00', end: '20:00' }, closedWeekdays: ['sun'], holidays: ['2026-12-25', '2027-01-01'] },
	caps: { automatedPerJourney: 2, stage3PerJourney: 1, perPatientPerDay: 1 },
	schedulingLinks: { default: 'https://riverside.example/schedule?order={orderId}', imaging: 'https://riverside.example/imaging?order={orderId}' },
	channelOrder: ['sms', 'email'],
});

interface Item {
	event: VisitEvent;
	stage: 1 | 2;
	routing: RoutingHistory;
	touches: TouchHistory;
}

/** 1,024 distinct journeys: zones, languages, preferences, consent, opt-outs and visit times vary. */
function items(now: DateTime): Item[] {
	const pool: Item[] = [];
	for (let i = 0; i < 1024; i++) {
		const zone = zones[i % zones.length];
		const mobile = `+1617${String(3_000_000 + i)}`;
		const email = `patient${i}@patients.example`;
		const event: VisitEvent = {
			kind: 'visit',
			schemaVersion: 1,
			ehr: 'fhir',
			patientId: `pat-${i}`,
			zone,
			zoneSource: 'patient',
			patient: {
				firstName: ['Ana', 'John', 'Leilani', 'María José', 'Wei'][i % 5],
				phones: i % 11 === 0 ? [] : [{ number: mobile, kind: i % 13 === 0 ? 'unknown' : 'mobile' }],
				email: i % 7 === 0 ? undefined : email,
				preferredChannel: i % 3 === 0 ? 'sms' : i % 3 === 1 ? 'email' : undefined,
				language: i % 4 === 0 ? 'es' : i % 9 === 0 ? 'es-MX' : 'en',
			},
			consent: { sms: i % 17 !== 0, email: true, voice: true },
			visitId: `enc-${i}`,
			visitType: 'encounter',
			completedAt: now.minus({ minutes: 5 + ((i * 997) % (10 * 24 * 60)) }).toUTC().toISO() as string,
			visitDate: now.setZone(zone).toISODate() as string,
			actionItems: [
				{ type: actionTypes[i % actionTypes.length], description: 'Book your 2-week follow-up visit', orderId: `sr-${i}`, done: i % 19 === 0 },
			],
		};
		pool.push({
			event,
			stage: i % 2 === 0 ? 1 : 2,
			routing: {
				optedOut: i % 23 === 0 ? [{ channel: 'sms', address: mobile }] : [],
				bounced: [],
				landlines: [],
				failed: [],
			},
			touches: { automatedSentThisJourney: i % 2 === 0 ? 0 : 1, stage3SentThisJourney: 0, patientTouchesToday: i % 29 === 0 ? 1 : 0, optedOutChannels: [] },
		});
	}
	return pool;
}

type Step = (item: Item, now: string) => number;

const cadence: Step = (item, now) => {
	const plan = planTouch({
		anchor: item.event.completedAt,
		offset: { amount: item.stage === 1 ? 0 : 48, unit: 'hours', direction: 'after' },
		zone: item.event.zone,
		policy: profile.sendPolicy,
		now,
	});
	return plan.sendAt.length;
};

const guard: Step = (item, now) => {
	const decision = evaluateTouch({
		now,
		zone: item.event.zone,
		policy: profile.sendPolicy,
		caps: profile.caps,
		touch: { stage: item.stage, kind: 'automated', channel: 'sms' },
		history: item.touches,
		actionDone: item.event.actionItems[0].done,
	});
	return decision.allowed ? 1 : 0;
};

const routing: Step = (item) => {
	const route = routeChannels({
		patient: item.event.patient,
		consent: item.event.consent,
		stage: item.stage,
		channelOrder: profile.channelOrder,
		allowVoice: false,
		history: item.routing,
	});
	return route.channels.length;
};

const composition: Step = (item) => {
	const vars = messageVarsFor(item.event, profile);
	let length = 0;
	for (const channel of ['sms', 'email'] as const) {
		const message = composeMessage({
			template: templateFor(item.event, item.stage, channel),
			channel,
			language: item.event.patient.language,
			vars,
			firstSms: channel === 'sms' && item.stage === 1,
		});
		length += message.text.length;
	}
	return length;
};

/** The whole path, as the nodes run it for one item: plan, route, guard the first channel, compose each routed channel. */
const decisionPath: Step = (item, now) => {
	const plan = planTouch({
		anchor: item.event.completedAt,
		offset: { amount: item.stage === 1 ? 0 : 48, unit: 'hours', direction: 'after' },
		zone: item.event.zone,
		policy: profile.sendPolicy,
		now,
	});
	const route = routeChannels({
		patient: item.event.patient,
		consent: item.event.consent,
		stage: item.stage,
		channelOrder: profile.channelOrder,
		allowVoice: false,
		history: item.routing,
	});
	const decision = evaluateTouch({
		now,
		zone: item.event.zone,
		policy: profile.sendPolicy,
		caps: profile.caps,
		touch: { stage: item.stage, kind: 'automated', channel: route.channels[0]?.channel ?? 'sms' },
		history: item.touches,
		actionDone: item.event.actionItems[0].done,
	});
	let length = plan.sendAt.length + (decision.allowed ? 1 : 0);
	const vars = messageVarsFor(item.event, profile);
	for (const target of route.channels) {
		const message = composeMessage({
			template: templateFor(item.event, item.stage, target.channel),
			channel: target.channel,
			language: item.event.patient.language,
			vars,
			firstSms: target.channel === 'sms' && item.stage === 1,
		});
		length += message.text.length;
	}
	return length;
};

function measure(step: Step, pool: Item[], now: string, warmupMs: number, measureMs: number): { itemsPerSecond: number; microsPerItem: number; items: number } {
	let sink = 0;
	const run = (ms: number) => {
		const deadline = performance.now() + ms;
		let count = 0;
		const started = performance.now();
		while (performance.now() < deadline) {
			for (let k = 0; k < 64; k++) sink += step(pool[(count + k) & 1023], now);
			count += 64;
		}
		return { count, seconds: (performance.now() - started) / 1000 };
	};
	run(warmupMs);
	const { count, seconds } = run(measureMs);
	if (sink === -1) console.error('unreachable');
	return { itemsPerSecond: count / seconds, microsPerItem: (seconds * 1e6) / count, items: count };
}

function main(): void {
	const { warmupMs, measureMs } = JSON.parse(process.argv[2] ?? '{"warmupMs":500,"measureMs":2000}') as { warmupMs: number; measureMs: number };
	// A fixed weekday noon in Chicago: most items fall inside the window, some are shifted (night zones, Sundays).
	const now = DateTime.fromISO('2026-11-24T18:00:00Z');
	const pool = items(now);
	const nowIso = now.toISO() as string;
	const path = measure(decisionPath, pool, nowIso, warmupMs, measureMs);
	const share = Math.max(250, Math.round(measureMs / 4));
	const parts = {
		cadence: measure(cadence, pool, nowIso, Math.min(warmupMs, 500), share),
		guard: measure(guard, pool, nowIso, Math.min(warmupMs, 500), share),
		routing: measure(routing, pool, nowIso, Math.min(warmupMs, 500), share),
		composition: measure(composition, pool, nowIso, Math.min(warmupMs, 500), share),
	};
	process.stdout.write(JSON.stringify({ path, parts }) + '\n');
}

main();
