import { DateTime } from 'luxon';

import { openJourneyStore } from '../../nodes/shared/store';
import type { Sandbox } from '../../sandbox/environment';
import type { DemoPatient } from '../../sandbox/demo-patients';
import { scheduleJourneys } from '../../sandbox/scheduled-journeys';
import type { ScheduledJourney } from '../../sandbox/scheduled-journeys';

/** The step of the three-stage template that resumes into stage 2 (Booking Check → Channel Router → Patient Message). */
export const reminderStep = 'Reminder';

/**
 * Journeys of the published three-stage template (FHIR) waiting in the journey store for their Reminder, each a
 * patient of its own with a mobile number of its own (so the one-message-a-day cap never holds one back and
 * every SMS names its journey), and the reminder SMS the Twilio-shaped API accepted for each.
 */
export class ReminderJourneys {
	private created = 0;
	private cursor = 0;
	private readonly byMobile = new Map<string, ScheduledJourney>();
	/** Journey id → when the Twilio-shaped API accepted its reminder (epoch ms). */
	readonly smsAt = new Map<string, number>();
	/** Journey id → the reminder's text (for a check of what was sent). */
	readonly smsBody = new Map<string, string>();

	constructor(
		private readonly sandbox: Sandbox,
		private readonly zone: string,
		private readonly prefix: string,
	) {}

	get workflowId(): string {
		return this.sandbox.workflows.threeStage.fhir.id;
	}

	private patient(n: number): DemoPatient {
		return {
			key: `${this.prefix}-${n}`,
			firstName: 'Jordan',
			lastName: `Remind${n}`,
			birthDate: '1980-05-17',
			mobile: `+1628${2_000_000 + n}`,
			email: `${this.prefix}-${n}@patients.example`,
			language: n % 4 === 0 ? 'es' : 'en',
			zone: this.zone,
		};
	}

	/** Closes `count` visits two days ago in the FHIR sandbox and schedules their Reminder at `dueAt(index)`. */
	async schedule(count: number, dueAt: (index: number) => string, progress?: (done: number) => void): Promise<ScheduledJourney[]> {
		const first = this.created;
		this.created += count;
		const journeys = await scheduleJourneys(this.sandbox, {
			workflowId: this.workflowId,
			step: reminderStep,
			count,
			zone: this.zone,
			patient: (index) => this.patient(first + index),
			dueAt,
			completedAt: DateTime.utc().minus({ days: 2 }).toISO() as string,
			progress: progress && { everyJourneys: 5_000, report: progress },
		});
		for (const journey of journeys) this.byMobile.set(journey.mobile, journey);
		return journeys;
	}

	/** Moves the Reminder of these journeys to `dueAt` (as a Cadence Wait scheduling it again would). */
	async reschedule(journeys: ScheduledJourney[], dueAt: string): Promise<void> {
		const store = await openJourneyStore({ backend: 'sqlite', path: this.sandbox.journeyStorePath }, { reusePool: false });
		try {
			const at = new Date().toISOString();
			for (const { journeyId, patientKey } of journeys) {
				await store.scheduleStep({ journeyId, patientKey, workflowId: this.workflowId, step: reminderStep, dueAt, at });
			}
		} finally {
			await store.close();
		}
	}

	/** Reads what the Twilio-shaped API accepted since the last call; returns how many reminders have arrived. */
	collect(): number {
		const messages = this.sandbox.twilio.messages;
		// The outbox was emptied meanwhile: start over at its beginning.
		if (messages.length < this.cursor) this.cursor = 0;
		for (; this.cursor < messages.length; this.cursor++) {
			const message = messages[this.cursor];
			const journey = this.byMobile.get(message.to);
			if (journey && !this.smsAt.has(journey.journeyId)) {
				this.smsAt.set(journey.journeyId, message.receivedAt);
				this.smsBody.set(journey.journeyId, message.body);
			}
		}
		return this.smsAt.size;
	}

	/**
	 * Empties the doubles' logs (Twilio outbox, FHIR request log), which a run of 100,000 journeys would otherwise
	 * grow by hundreds of MiB in this process; what arrived is read first.
	 */
	trimLogs(): void {
		this.collect();
		this.sandbox.twilio.reset();
		this.cursor = 0;
		this.sandbox.fhir.requests.length = 0;
	}
}
