import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { TLSSocket } from 'node:tls';

import { frame, MllpDecoder } from './mllp';
import type { FrameEvent } from './mllp';

export interface MllpTls {
	key: string;
	cert: string;
	/** CA of the client certificates; given, every client must present one it signed (mutual TLS). */
	ca?: string;
	/** Client certificate subject CNs allowed (empty: any the CA signed). */
	allowedSubjects?: string[];
}

export interface MllpListenerOptions {
	port: number;
	host?: string;
	tls?: MllpTls;
	/** Client IP addresses allowed to connect (empty: any). Others are disconnected before a byte is read. */
	allowedClients?: string[];
	maxFrameBytes?: number;
	/** A connection silent this long is closed. */
	idleTimeoutMs?: number;
	/** Answers one frame: the ACK or NAK to send back. Frames of one connection are answered in order. */
	answer(event: FrameEvent, peer: { address: string }): Promise<string>;
	/** A connection was refused (address or certificate), for the node's log; no PHI. */
	onRefused?(reason: string): void;
}

export interface MllpListener {
	port: number;
	close(): Promise<void>;
}

const ipv4Mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/;

function normalise(address: string | undefined): string {
	const value = address ?? '';
	return ipv4Mapped.exec(value)?.[1] ?? value;
}

/**
 * An MLLP listener on a TCP port (TLS optional, client certificates and an address allow-list optional). Each
 * frame is answered in order on its connection; a connection's failure never reaches the others, and nothing
 * here throws into n8n: a broken client costs its own socket only.
 */
export async function startMllpListener(options: MllpListenerOptions): Promise<MllpListener> {
	const allowed = new Set((options.allowedClients ?? []).map(normalise).filter(Boolean));
	const sockets = new Set<Socket>();

	const serve = (socket: Socket) => {
		const address = normalise(socket.remoteAddress);
		if (allowed.size > 0 && !allowed.has(address)) {
			options.onRefused?.('client address not in the allow-list');
			socket.destroy();
			return;
		}
		if (options.tls?.allowedSubjects?.length) {
			const subject = (socket as TLSSocket).getPeerCertificate?.()?.subject?.CN;
			const names = Array.isArray(subject) ? subject : [subject];
			if (!names.some((name) => name && options.tls?.allowedSubjects?.includes(name))) {
				options.onRefused?.('client certificate subject not in the allow-list');
				socket.destroy();
				return;
			}
		}
		sockets.add(socket);
		socket.setTimeout(options.idleTimeoutMs ?? 10 * 60_000, () => socket.destroy());
		const decoder = new MllpDecoder(options.maxFrameBytes ?? 1024 * 1024);
		let queue = Promise.resolve();
		socket.on('data', (data: Buffer) => {
			for (const event of decoder.push(data)) {
				queue = queue.then(async () => {
					const ack = await options.answer(event, { address }).catch(() => undefined);
					if (ack !== undefined && !socket.destroyed) socket.write(frame(ack));
				});
			}
		});
		socket.on('error', () => socket.destroy());
		socket.on('close', () => sockets.delete(socket));
	};

	const server: Server = options.tls
		? createTlsServer(
				{ key: options.tls.key, cert: options.tls.cert, ca: options.tls.ca, requestCert: Boolean(options.tls.ca), rejectUnauthorized: Boolean(options.tls.ca) },
				serve,
			)
		: createServer(serve);
	server.on('tlsClientError', () => options.onRefused?.('TLS handshake failed'));
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port, options.host ?? '0.0.0.0', () => {
			server.off('error', reject);
			resolve();
		});
	});
	return {
		port: (server.address() as AddressInfo).port,
		close: async () => {
			for (const socket of sockets) socket.destroy();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}
