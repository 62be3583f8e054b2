/**
 * A minimal HL7 v2.x (ER7, pipe-delimited) reader: segments, fields, repetitions, components and
 * subcomponents, with the delimiters the message declares in MSH-1/MSH-2 and the standard escape sequences
 * (\F\ \S\ \T\ \R\ \E\, \.br\ and \Xhh\). It reads what the HL7 v2 Trigger needs and refuses what it cannot read
 * with a reason that names the place, never a value (messages carry PHI).
 */

export class Hl7ParseError extends Error {
	constructor(
		message: string,
		/** The HL7 error location, e.g. "MSH-9" (never a value). */
		readonly location: string,
	) {
		super(message);
		this.name = 'Hl7ParseError';
	}
}

export interface Delimiters {
	field: string;
	component: string;
	repetition: string;
	escape: string;
	subcomponent: string;
}

export interface Hl7Segment {
	name: string;
	/** Raw fields; index n is SEG-n (for MSH, index 1 is the field separator itself, as the standard counts). */
	fields: string[];
}

/** Where a value sits: SEG-field, optionally .component and .subcomponent (1-based), in a given repetition. */
export interface FieldPath {
	segment: string;
	field: number;
	component?: number;
	subcomponent?: number;
}

export const maxSegments = 2000;
const segmentNamePattern = /^[A-Z][A-Z0-9]{2}$/;

export class Hl7Message {
	constructor(
		readonly delimiters: Delimiters,
		readonly segments: Hl7Segment[],
	) {}

	/** Every segment of that name, in message order. */
	all(name: string): Hl7Segment[] {
		return this.segments.filter((segment) => segment.name === name);
	}

	first(name: string): Hl7Segment | undefined {
		return this.segments.find((segment) => segment.name === name);
	}

	/** The repetitions of one field of a segment, each still raw (components not split). */
	repetitions(segment: Hl7Segment | undefined, field: number): string[] {
		const raw = segment?.fields[field] ?? '';
		if (raw === '') return [];
		// MSH-2 holds the delimiters themselves: never split it.
		if (segment?.name === 'MSH' && field <= 2) return [raw];
		return raw.split(this.delimiters.repetition);
	}

	/** A component (and subcomponent) of one repetition, decoded; '' when absent. */
	part(repetition: string, component = 1, subcomponent = 1): string {
		const components = repetition.split(this.delimiters.component);
		const subcomponents = (components[component - 1] ?? '').split(this.delimiters.subcomponent);
		return decodeEscapes(subcomponents[subcomponent - 1] ?? '', this.delimiters);
	}

	/** The decoded value at a path, in the first repetition (or the one given). */
	value(path: FieldPath, repetition = 0): string {
		const repetitions = this.repetitions(this.first(path.segment), path.field);
		const chosen = repetitions[repetition];
		if (chosen === undefined) return '';
		if (path.segment === 'MSH' && path.field <= 2) return chosen;
		return this.part(chosen, path.component ?? 1, path.subcomponent ?? 1);
	}
}

/** "SCH-25", "PV1-19.1", "SCH-25.1.1" → a path; anything else → undefined. */
export function parseFieldPath(text: string): FieldPath | undefined {
	const match = /^([A-Z][A-Z0-9]{2})-(\d{1,3})(?:\.(\d{1,3}))?(?:\.(\d{1,3}))?$/.exec(text.trim().toUpperCase());
	if (!match) return undefined;
	return {
		segment: match[1],
		field: Number(match[2]),
		component: match[3] ? Number(match[3]) : undefined,
		subcomponent: match[4] ? Number(match[4]) : undefined,
	};
}

function decodeEscapes(text: string, delimiters: Delimiters): string {
	if (!text.includes(delimiters.escape)) return text;
	const escape = delimiters.escape.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
	return text.replace(new RegExp(`${escape}([^${escape}]*)${escape}`, 'g'), (whole, sequence: string) => {
		switch (sequence) {
			case 'F':
				return delimiters.field;
			case 'S':
				return delimiters.component;
			case 'T':
				return delimiters.subcomponent;
			case 'R':
				return delimiters.repetition;
			case 'E':
				return delimiters.escape;
			case '.br':
				return '\n';
			default:
				if (/^X[0-9A-Fa-f]{2,}$/.test(sequence)) return Buffer.from(sequence.slice(1), 'hex').toString('latin1');
				// Highlighting (\H\, \N\) and character-set switches carry no text of their own.
				return /^[HN]$|^[CM]/.test(sequence) ? '' : whole;
		}
	});
}

function delimitersOf(header: string): Delimiters {
	const field = header[3];
	const encoding = header.slice(4).split(field)[0] ?? '';
	if (!field || /[A-Za-z0-9\r\n]/.test(field)) throw new Hl7ParseError('MSH-1 (field separator) is missing or invalid', 'MSH-1');
	if (encoding.length < 4 || new Set([field, ...encoding.slice(0, 4)]).size !== 5 || /[A-Za-z0-9]/.test(encoding.slice(0, 4))) {
		throw new Hl7ParseError('MSH-2 (encoding characters) must name four distinct delimiters', 'MSH-2');
	}
	return { field, component: encoding[0], repetition: encoding[1], escape: encoding[2], subcomponent: encoding[3] };
}

/**
 * Parses one message. Segments end with CR (LF and CRLF are accepted, as interface engines send them); empty
 * lines are skipped. The first segment must be MSH; every segment name must be three upper-case characters.
 */
export function parseHl7(text: string): Hl7Message {
	const lines = text.split(/\r\n|\r|\n/).filter((line) => line.length > 0);
	if (lines.length === 0 || !lines[0].startsWith('MSH')) throw new Hl7ParseError('The message does not start with an MSH segment', 'MSH');
	if (lines.length > maxSegments) throw new Hl7ParseError(`The message has more than ${maxSegments} segments`, 'MSH');
	const delimiters = delimitersOf(lines[0]);
	const segments = lines.map((line, index): Hl7Segment => {
		const parts = line.split(delimiters.field);
		const name = parts[0];
		if (!segmentNamePattern.test(name)) throw new Hl7ParseError(`Segment ${index + 1} has no valid segment name`, `segment ${index + 1}`);
		// MSH-1 is the separator itself, so MSH's fields shift by one against the split.
		return { name, fields: name === 'MSH' && index === 0 ? ['MSH', delimiters.field, ...parts.slice(1)] : parts };
	});
	return new Hl7Message(delimiters, segments);
}

/** The message type (MSH-9): code, trigger event and structure, e.g. SIU^S14^SIU_S12. */
export function messageTypeOf(message: Hl7Message): { code: string; event: string; structure: string } {
	const type = message.value({ segment: 'MSH', field: 9 }) ;
	const event = message.value({ segment: 'MSH', field: 9, component: 2 });
	if (!/^[A-Z0-9]{3}$/.test(type) || !/^[A-Z0-9]{3}$/.test(event)) throw new Hl7ParseError('MSH-9 (message type) is missing or invalid', 'MSH-9');
	return { code: type, event, structure: message.value({ segment: 'MSH', field: 9, component: 3 }) };
}
