/** One heading of a Markdown document: its anchor, its level (1 for #) and the text under it, up to the next heading of the same or a higher level. */
export interface MarkdownSection {
	anchor: string;
	level: number;
	body: string;
}

/** GitHub's (and npm's) heading anchors, in document order: lower case, punctuation dropped, each space a hyphen, repeats numbered. */
export function headingSections(markdown: string): MarkdownSection[] {
	const headings: Array<{ anchor: string; level: number; line: number }> = [];
	const counts = new Map<string, number>();
	const lines = markdown.split('\n');
	let fenced = false;
	lines.forEach((line, index) => {
		if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
		const heading = fenced ? null : /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
		if (!heading) return;
		const text = heading[2].replace(/`/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
		const slug = text.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
		const seen = counts.get(slug) ?? 0;
		counts.set(slug, seen + 1);
		headings.push({ anchor: seen === 0 ? slug : `${slug}-${seen}`, level: heading[1].length, line: index });
	});
	return headings.map((heading, i) => {
		const next = headings.slice(i + 1).find((later) => later.level <= heading.level);
		return { anchor: heading.anchor, level: heading.level, body: lines.slice(heading.line + 1, next?.line ?? lines.length).join('\n') };
	});
}

/** GitHub's (and npm's) heading anchors of a Markdown document. */
export function headingAnchors(markdown: string): Set<string> {
	return new Set(headingSections(markdown).map((section) => section.anchor));
}
