import type { Sandbox } from '../../sandbox/environment';
import { closeFhirVisit, ensureFhirPatient, fhirBackportNotification } from '../../sandbox/fhir-demo';
import type { SinkMessage } from '../../sandbox/smtp-sink';
import type { SandboxMessage } from '../../sandbox/twilio-api';

export interface BenchVisit {
	n: number;
	patientId: string;
	encounterId: string;
	orderId: string;
	mobile: string;
	email: string;
	body: string;
	/** Epoch ms just before the notification's POST. */
	postedAt?: number;
	responseStatus?: number;
	smsAt?: number;
	emailAt?: number;
	smsBody?: string;
	done: Promise<void>;
	resolve: () => void;
}

export interface FirstTouch {
	sms: number;
	email: number;
	/** Both channels accepted: what "first touch" means here. */
	both: number;
}

/**
 * Makes benchmark visits in the sandbox FHIR server and follows them to the Twilio-shaped API and the SMTP
 * sink. Every visit has a patient of its own (so the one-message-a-day cap never holds one back) with a mobile
 * number and an email address, in a zone where it is daytime now, and a finished Encounter with a follow-up
 * order, exactly as `npm run close-visit` makes them. A visit's FHIR resources are deleted once it has been
 * admitted (sandbox searches scan every stored resource, so a growing store would slow the EHR, not n8n).
 */
export class VisitSource {
	private counter = 0;
	private eventNumber = 0;
	private readonly byMobile = new Map<string, BenchVisit>();
	private readonly byEmail = new Map<string, BenchVisit>();
	private smsCursor = 0;
	private emailCursor = 0;
	private readonly timer: NodeJS.Timeout;
	readonly completed: BenchVisit[] = [];

	constructor(
		private readonly sandbox: Sandbox,
		private readonly zone: string,
		private readonly prefix: string,
	) {
		this.timer = setInterval(() => this.collect(), 5);
	}

	/** Puts one closed visit into the FHIR server and returns it with the signed notification that names it. */
	async prepare(options: { completedAt?: string; language?: 'en' | 'es' } = {}): Promise<BenchVisit> {
		const n = ++this.counter;
		const mobile = `+1617${String(2_000_000 + n).padStart(7, '0')}`;
		const email = `${this.prefix}-${n}@patients.example`;
		const patientId = await ensureFhirPatient(
			this.sandbox.fhir,
			{
				key: `${this.prefix}-${n}`,
				firstName: 'Jordan',
				lastName: `Bench${n}`,
				birthDate: '1980-05-17',
				mobile,
				email,
				language: options.language ?? (n % 4 === 0 ? 'es' : 'en'),
				zone: this.zone,
			},
			this.zone,
		);
		const completedAt = options.completedAt ?? new Date(Date.now() - 60_000).toISOString();
		const { encounterId, orderId } = await closeFhirVisit(this.sandbox.fhir, patientId, { completedAt });
		this.eventNumber += 1;
		const body = JSON.stringify(fhirBackportNotification(encounterId, this.eventNumber));
		let resolve!: () => void;
		const done = new Promise<void>((r) => (resolve = r));
		const visit: BenchVisit = { n, patientId, encounterId, orderId, mobile, email, body, done, resolve };
		this.byMobile.set(mobile, visit);
		this.byEmail.set(email, visit);
		return visit;
	}

	/** POSTs the visit's notification to a webhook path of the sandbox's n8n, as the EHR would. */
	async deliver(visit: BenchVisit, webhookPath: string, scheduledAt?: number): Promise<void> {
		// Open loop: latency counts from when the POST was due, so a late load generator is not flattered.
		visit.postedAt = Math.min(scheduledAt ?? Date.now(), Date.now());
		try {
			const response = await fetch(`${this.sandbox.n8n.baseUrl}/webhook/${webhookPath}`, {
				method: 'POST',
				body: visit.body,
				headers: { 'content-type': 'application/fhir+json', 'x-webhook-secret': this.sandbox.webhookSecret },
			});
			visit.responseStatus = response.status;
			await response.arrayBuffer();
		} catch {
			visit.responseStatus = 0;
		}
	}

	/** Deletes the visit's order and encounter from the sandbox EHR (its patient stays: reads are by id). */
	async forget(visit: BenchVisit): Promise<void> {
		await this.sandbox.fhir.repo.deleteResource('ServiceRequest', visit.orderId).catch(() => undefined);
		await this.sandbox.fhir.repo.deleteResource('Encounter', visit.encounterId).catch(() => undefined);
	}

	private collect(): void {
		const sms: SandboxMessage[] = this.sandbox.twilio.messages;
		const emails: SinkMessage[] = this.sandbox.smtp.messages;
		// The outboxes were emptied (resetOutboxes): start over at their beginning.
		if (sms.length < this.smsCursor) this.smsCursor = 0;
		if (emails.length < this.emailCursor) this.emailCursor = 0;
		for (; this.smsCursor < sms.length; this.smsCursor++) {
			const message = sms[this.smsCursor];
			const visit = this.byMobile.get(message.to);
			if (visit && visit.smsAt === undefined) {
				visit.smsAt = message.receivedAt;
				visit.smsBody = message.body;
				this.check(visit);
			}
		}
		for (; this.emailCursor < emails.length; this.emailCursor++) {
			const message = emails[this.emailCursor];
			for (const to of message.to) {
				const visit = this.byEmail.get(to);
				if (visit && visit.emailAt === undefined) {
					visit.emailAt = message.receivedAt;
					this.check(visit);
				}
			}
		}
	}

	private check(visit: BenchVisit): void {
		if (visit.smsAt === undefined || visit.emailAt === undefined) return;
		this.byMobile.delete(visit.mobile);
		this.byEmail.delete(visit.email);
		this.completed.push(visit);
		void this.forget(visit);
		visit.resolve();
	}

	/** Empties the sandbox outboxes between phases (after a drain), so memory does not grow with the run. */
	resetOutboxes(): void {
		this.collect();
		this.sandbox.twilio.reset();
		this.sandbox.smtp.reset();
		this.smsCursor = 0;
		this.emailCursor = 0;
	}

	/** Visits still waiting for a channel; forgets them (their FHIR data too). */
	abandonPending(): BenchVisit[] {
		const pending = [...new Set([...this.byMobile.values(), ...this.byEmail.values()])];
		this.byMobile.clear();
		this.byEmail.clear();
		for (const visit of pending) void this.forget(visit);
		return pending;
	}

	get pendingCount(): number {
		return new Set([...this.byMobile.values(), ...this.byEmail.values()]).size;
	}

	close(): void {
		clearInterval(this.timer);
	}
}

export function firstTouchOf(visit: BenchVisit): FirstTouch | undefined {
	if (visit.postedAt === undefined || visit.smsAt === undefined || visit.emailAt === undefined) return undefined;
	return {
		sms: visit.smsAt - visit.postedAt,
		email: visit.emailAt - visit.postedAt,
		both: Math.max(visit.smsAt, visit.emailAt) - visit.postedAt,
	};
}
