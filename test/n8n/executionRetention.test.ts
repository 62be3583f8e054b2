import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/*
 * n8n's execution history holds every item a journey carried (names, phones, e-mail addresses): the Docker set-up
 * keeps it only as long as ops need it, with settings n8n 2.41 actually reads.
 */

const repoRoot = join(__dirname, '..', '..');
const compose = readFileSync(join(repoRoot, 'docker', 'docker-compose.yml'), 'utf8');
const n8nConfig = readFileSync(require.resolve('@n8n/config/dist/configs/executions.config.js'), 'utf8');
const dockerDoc = readFileSync(join(repoRoot, 'docs', 'docker.md'), 'utf8');

/** `NAME: ${NAME:-default}` or `NAME: "value"` of the shared n8n environment. */
function composeSetting(name: string): string | undefined {
	const line = compose.split('\n').find((candidate) => candidate.trim().startsWith(`${name}:`));
	const value = line?.slice(line.indexOf(':') + 1).trim();
	return value?.match(/^\$\{[A-Z_]+:-([^}]*)\}$/)?.[1] ?? value?.replace(/^"|"$/g, '');
}

describe('Docker: n8n\'s execution data is kept only as long as ops need it', () => {
	it('prunes finished executions after 7 days (168 h), the shorter of the two retentions asked for', () => {
		expect(composeSetting('EXECUTIONS_DATA_PRUNE')).toBe('true');
		expect(composeSetting('EXECUTIONS_DATA_MAX_AGE')).toBe('168');
	});

	it('sets only execution variables n8n 2.41 reads', () => {
		const names = [...compose.matchAll(/^\s+(EXECUTIONS_[A-Z_]+):/gm)].map((match) => match[1]);
		expect(names.length).toBeGreaterThan(0);
		for (const name of names) expect(n8nConfig).toContain(`'${name}'`);
	});

	it('n8n 2.41 has one age for every finished execution (success and error cannot be set apart)', () => {
		expect(n8nConfig).toContain("'EXECUTIONS_DATA_MAX_AGE'");
		expect(n8nConfig).not.toMatch(/'EXECUTIONS_DATA_(SUCCESS|ERROR|FAILED)_MAX_AGE'/);
	});

	it('docs/docker.md calls n8n\'s database a PHI store, backs it up encrypted and cites no internal notes', () => {
		expect(dockerDoc).toMatch(/n8n's database is a PHI store/i);
		expect(dockerDoc).toMatch(/gpg --symmetric|openssl enc/);
		expect(dockerDoc).not.toMatch(/research\//);
	});
});
