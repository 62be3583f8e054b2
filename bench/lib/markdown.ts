import type { Stamp } from '../run';

/** One line of the summary table. */
export interface Row {
	benchmark: string;
	figure: string;
	target: string;
	result: string;
	met?: boolean;
}

export const ms = (value: number) => `${Math.round(value)} ms`;
export const s = (value: number) => `${value} s`;
export const fmt = (value: number) => value.toLocaleString('en-US', { maximumFractionDigits: 1 });

/** Where and when a table's figures were taken, in one italic line. */
export function stampLine(stamp: Stamp): string {
	const day = stamp.date.slice(0, 10);
	return (
		`*Measured ${day} (${stamp.date.slice(11, 16)} UTC) on ${stamp.machine.summary}; n8n ${stamp.n8nVersion}; ` +
		`n8n-nodes-post-visit ${stamp.packVersion}; profile \`${stamp.profile}\`; load average ${stamp.machine.loadAverageAtStart} when the run began; took ${stamp.durationSeconds} s.*`
	);
}

export function mdTable(header: string[], body: Array<Array<string | number>>): string {
	return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...body.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}
