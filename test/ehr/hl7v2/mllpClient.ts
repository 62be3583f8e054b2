import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { ConnectionOptions } from 'node:tls';

import { frame, MllpDecoder } from '../../../nodes/shared/ehr/hl7v2';

/** A sending system for tests: writes frames (or raw bytes) and collects the ACKs the listener answers. */
export class MllpTestClient {
	private readonly decoder = new MllpDecoder(1024 * 1024);
	private readonly acks: string[] = [];
	private waiters: Array<{ count: number; resolve: (acks: string[]) => void }> = [];
	closed = false;

	private constructor(private readonly socket: Socket) {
		socket.on('data', (data: Buffer) => {
			for (const event of this.decoder.push(data)) if (event.kind === 'message') this.acks.push(event.text);
			this.settle();
		});
		socket.on('close', () => {
			this.closed = true;
			this.settle();
		});
		socket.on('error', () => undefined);
	}

	static async open(port: number, tls?: ConnectionOptions): Promise<MllpTestClient> {
		const socket = tls ? connectTls({ port, host: '127.0.0.1', ...tls }) : connect({ port, host: '127.0.0.1' });
		await new Promise<void>((resolve, reject) => {
			socket.once(tls ? 'secureConnect' : 'connect', () => resolve());
			socket.once('error', reject);
		});
		return new MllpTestClient(socket);
	}

	send(message: string): void {
		this.socket.write(frame(message));
	}

	sendRaw(bytes: Buffer): void {
		this.socket.write(bytes);
	}

	/** Resolves with the first `count` ACKs received (or fewer, if the listener closes the connection). */
	async acksUpTo(count: number): Promise<string[]> {
		return await new Promise((resolve) => {
			this.waiters.push({ count, resolve });
			this.settle();
		});
	}

	private settle(): void {
		this.waiters = this.waiters.filter((waiter) => {
			if (this.acks.length < waiter.count && !this.closed) return true;
			waiter.resolve(this.acks.slice(0, waiter.count));
			return false;
		});
	}

	close(): void {
		this.socket.destroy();
	}
}

/** MSA-1 and MSA-2 of an ACK. */
export function msaOf(ack: string): { code: string; controlId: string; text: string } {
	const msa = ack.split('\r').find((segment) => segment.startsWith('MSA|'))?.split('|') ?? [];
	return { code: msa[1] ?? '', controlId: msa[2] ?? '', text: msa[3] ?? '' };
}
