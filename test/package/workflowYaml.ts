/**
 * A strict reader for the small part of YAML our GitHub Actions workflows use: block mappings and sequences,
 * plain and quoted scalars, `|`/`>` block scalars, one-line `[a, b]` lists and comments. Anything else
 * (tabs, anchors and aliases, tags, flow mappings, duplicate keys, `key: value: more`, bad indentation)
 * is an error naming the line, so a workflow that only a lenient parser would accept fails the test.
 * Scalars stay strings: `true`, `24` and `'24'` all read as text.
 */
export type YamlValue = string | null | YamlValue[] | { [key: string]: YamlValue };

interface Line {
	number: number;
	indent: number;
	/** The line without its indentation and without a trailing comment. */
	text: string;
	raw: string;
}

export class YamlSubsetError extends Error {
	constructor(line: number, message: string) {
		super(`line ${line}: ${message}`);
	}
}

/** The text up to a ` #` comment outside quotes. */
function stripComment(text: string): string {
	let quote: string | null = null;
	for (let i = 0; i < text.length; i++) {
		const char = text[i];
		if (quote) {
			if (char === quote) quote = null;
		} else if (char === '"' || char === "'") {
			if (i === 0 || /[\s:[,-]/.test(text[i - 1])) quote = char;
		} else if (char === '#' && (i === 0 || /\s/.test(text[i - 1]))) {
			return text.slice(0, i).trimEnd();
		}
	}
	return text.trimEnd();
}

function scalar(text: string, line: number): string {
	if (text.startsWith("'")) {
		if (!/^'(?:[^']|'')*'$/.test(text)) throw new YamlSubsetError(line, `unterminated single-quoted scalar ${text}`);
		return text.slice(1, -1).replace(/''/g, "'");
	}
	if (text.startsWith('"')) {
		if (!/^"(?:[^"\\]|\\.)*"$/.test(text)) throw new YamlSubsetError(line, `unterminated double-quoted scalar ${text}`);
		return JSON.parse(text) as string;
	}
	if (/^[&*!%@`{|>]/.test(text)) throw new YamlSubsetError(line, `unsupported YAML at ${text}`);
	if (/: |:$/.test(text)) throw new YamlSubsetError(line, `a plain scalar may not contain ": " (${text})`);
	return text;
}

function flowSequence(text: string, line: number): string[] {
	const inner = text.slice(1, -1).trim();
	if (inner === '') return [];
	if (/[[\]{}]/.test(inner)) throw new YamlSubsetError(line, 'nested flow collections are not supported');
	return inner.split(',').map((item) => scalar(item.trim(), line));
}

function value(text: string, line: number): YamlValue {
	if (text.startsWith('[')) {
		if (!text.endsWith(']')) throw new YamlSubsetError(line, 'a flow sequence must close on its line');
		return flowSequence(text, line);
	}
	return scalar(text, line);
}

/** Splits `key: rest` (or `key:`); null when the text is not a mapping entry. */
function mappingEntry(text: string): { key: string; rest: string } | null {
	const match = /^([A-Za-z0-9_][A-Za-z0-9_.\-/ ]*?|'[^']*'|"[^"]*"):(?: (.*)|)$/.exec(text);
	if (!match) return null;
	const key = match[1].startsWith("'") || match[1].startsWith('"') ? match[1].slice(1, -1) : match[1];
	return { key, rest: (match[2] ?? '').trim() };
}

export function parseWorkflowYaml(source: string): YamlValue {
	const rawLines = source.split('\n');
	const lines: Array<Line | null> = rawLines.map((raw, index) => {
		const number = index + 1;
		const indentText = /^[ \t]*/.exec(raw)![0];
		if (indentText.includes('\t')) throw new YamlSubsetError(number, 'tabs are not allowed in YAML indentation');
		const text = stripComment(raw.slice(indentText.length));
		if (text === '') return null;
		if (text === '---' || text === '...') throw new YamlSubsetError(number, 'one document per file, without markers');
		return { number, indent: indentText.length, text, raw };
	});
	let position = 0;

	const peek = (): Line | null => {
		while (position < lines.length && lines[position] === null) position++;
		return position < lines.length ? lines[position] : null;
	};

	function blockScalar(header: string, parentIndent: number, line: number): string {
		if (!/^[|>][-+]?$/.test(header)) throw new YamlSubsetError(line, `unsupported block scalar header ${header}`);
		const body: string[] = [];
		let blockIndent = -1;
		while (position < rawLines.length) {
			const raw = rawLines[position];
			const indent = /^ */.exec(raw)![0].length;
			if (raw.trim() === '') {
				body.push('');
				position++;
				continue;
			}
			if (indent <= parentIndent) break;
			if (blockIndent < 0) blockIndent = indent;
			if (indent < blockIndent) throw new YamlSubsetError(position + 1, 'block scalar line less indented than its first line');
			body.push(raw.slice(blockIndent));
			position++;
		}
		while (body.length > 0 && body[body.length - 1] === '') body.pop();
		if (header.startsWith('>')) return body.join(' ');
		return body.join('\n') + (header.endsWith('-') ? '' : '\n');
	}

	/** The value after `key:` with nothing on the line: a nested block, a sequence at the same indent, or null. */
	function nestedValue(indent: number, allowSameIndentSequence: boolean): YamlValue {
		const next = peek();
		if (!next) return null;
		if (next.indent > indent) return block(next.indent);
		if (allowSameIndentSequence && next.indent === indent && /^-( |$)/.test(next.text)) return sequence(indent);
		return null;
	}

	function mapping(indent: number): { [key: string]: YamlValue } {
		const result: { [key: string]: YamlValue } = {};
		for (let line = peek(); line && line.indent === indent; line = peek()) {
			if (/^-( |$)/.test(line.text)) break;
			const entry = mappingEntry(line.text);
			if (!entry) throw new YamlSubsetError(line.number, `expected "key: value", found ${line.text}`);
			if (Object.prototype.hasOwnProperty.call(result, entry.key)) throw new YamlSubsetError(line.number, `duplicate key ${entry.key}`);
			position++;
			if (entry.rest === '') result[entry.key] = nestedValue(indent, true);
			else if (/^[|>]/.test(entry.rest)) result[entry.key] = blockScalar(entry.rest, indent, line.number);
			else result[entry.key] = value(entry.rest, line.number);
		}
		const after = peek();
		if (after && after.indent > indent) throw new YamlSubsetError(after.number, 'unexpected indentation');
		return result;
	}

	function sequence(indent: number): YamlValue[] {
		const result: YamlValue[] = [];
		for (let line = peek(); line && line.indent === indent && /^-( |$)/.test(line.text); line = peek()) {
			const content = line.text.slice(1).trimStart();
			if (content === '') {
				position++;
				result.push(nestedValue(indent, false));
			} else if (mappingEntry(content) && !/^['"]/.test(content)) {
				// "- key: value" opens a mapping whose keys sit at the column of "key".
				const column = indent + (line.text.length - content.length);
				lines[position] = { ...line, indent: column, text: content };
				result.push(mapping(column));
			} else {
				position++;
				result.push(value(content, line.number));
			}
		}
		const after = peek();
		if (after && after.indent > indent) throw new YamlSubsetError(after.number, 'unexpected indentation');
		return result;
	}

	function block(indent: number): YamlValue {
		const first = peek();
		if (!first) return null;
		return /^-( |$)/.test(first.text) ? sequence(indent) : mapping(indent);
	}

	const first = peek();
	if (!first) throw new YamlSubsetError(1, 'empty document');
	if (first.indent !== 0) throw new YamlSubsetError(first.number, 'the document must start at column 0');
	const document = block(0);
	const rest = peek();
	if (rest) throw new YamlSubsetError(rest.number, `unexpected content ${rest.text}`);
	return document;
}
