/** MLLP framing (HL7 v2 Minimal Lower Layer Protocol): <VT> message <FS><CR>. */
export const startBlock = 0x0b;
export const endBlock = 0x1c;
export const carriageReturn = 0x0d;

export function frame(message: string): Buffer {
	return Buffer.concat([Buffer.from([startBlock]), Buffer.from(message, 'utf8'), Buffer.from([endBlock, carriageReturn])]);
}

export type FrameEvent =
	| { kind: 'message'; text: string }
	/** Bytes that belong to no frame, or a frame over the size limit: answered with a NAK, never parsed. */
	| { kind: 'invalid'; reason: string };

/**
 * Splits a byte stream into MLLP frames. Bytes before a start block are reported once as invalid (a client that
 * does not speak MLLP); a frame longer than `maxFrameBytes` is reported invalid and skipped up to its end block,
 * so one bad frame does not cost the connection.
 */
export class MllpDecoder {
	private chunks: Buffer[] = [];
	private size = 0;
	private inFrame = false;
	private oversized = false;
	private strayBytes = 0;

	constructor(private readonly maxFrameBytes: number) {}

	push(data: Buffer): FrameEvent[] {
		const events: FrameEvent[] = [];
		let offset = 0;
		while (offset < data.length) {
			if (!this.inFrame) {
				const start = data.indexOf(startBlock, offset);
				const stray = (start === -1 ? data.length : start) - offset;
				this.strayBytes += data.subarray(offset, offset + stray).filter((byte) => byte !== carriageReturn && byte !== 0x0a).length;
				if (start === -1) break;
				if (this.strayBytes > 0) events.push({ kind: 'invalid', reason: 'bytes outside an MLLP frame (no start block)' });
				this.strayBytes = 0;
				this.inFrame = true;
				offset = start + 1;
				continue;
			}
			const end = data.indexOf(endBlock, offset);
			const piece = data.subarray(offset, end === -1 ? data.length : end);
			this.append(piece);
			if (end === -1) break;
			events.push(this.finish());
			// The CR after FS is optional in practice; skip it when present.
			offset = end + 1 < data.length && data[end + 1] === carriageReturn ? end + 2 : end + 1;
		}
		return events;
	}

	private append(piece: Buffer): void {
		if (this.oversized) return;
		if (this.size + piece.length > this.maxFrameBytes) {
			this.oversized = true;
			this.chunks = [];
			return;
		}
		this.chunks.push(Buffer.from(piece));
		this.size += piece.length;
	}

	private finish(): FrameEvent {
		const event: FrameEvent = this.oversized
			? { kind: 'invalid', reason: `a frame longer than ${this.maxFrameBytes} bytes` }
			: { kind: 'message', text: Buffer.concat(this.chunks).toString('utf8') };
		this.chunks = [];
		this.size = 0;
		this.inFrame = false;
		this.oversized = false;
		return event;
	}
}
