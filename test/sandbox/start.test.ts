import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseStartArgs } from '../../sandbox/start';
import { tempDir } from '../helpers/fixtures';

const tarball = join(tempDir('post-visit-start-'), 'n8n-nodes-post-visit-0.1.0.tgz');
writeFileSync(tarball, '');

describe('npm start options', () => {
	it.each([
		['no option', [], {}, 'nowWindow'],
		['--real-zones', ['--real-zones'], {}, 'real'],
		['POST_VISIT_DEMO_ANYTIME=0', [], { POST_VISIT_DEMO_ANYTIME: '0' }, 'real'],
		['POST_VISIT_DEMO_ANYTIME=1', [], { POST_VISIT_DEMO_ANYTIME: '1' }, 'nowWindow'],
		['--now-window over POST_VISIT_DEMO_ANYTIME=0', ['--now-window'], { POST_VISIT_DEMO_ANYTIME: '0' }, 'nowWindow'],
	])('%s gives the %s demo zones', (_case, argv, env, zones) => {
		expect(parseStartArgs(['--tarball', tarball, ...argv], env).zones).toBe(zones);
	});

	it.each([
		[['--tarball', tarball], {}, false],
		[['--tarball', tarball, '--reset'], {}, true],
	])('%j resets the kept data: %s', (argv, env, reset) => {
		expect(parseStartArgs(argv, env).reset).toBe(reset);
	});

	it.each([
		['an unknown option', ['--tarball', tarball, '--fast'], {}, /unknown option "--fast"/],
		['no tarball', [], {}, /no packed tarball/],
		['a tarball that is not there', ['--tarball', join(tarball, 'missing.tgz')], {}, /does not exist/],
	])('refuses %s', (_case, argv, env, message) => {
		expect(() => parseStartArgs(argv, env)).toThrow(message);
	});

	it('takes the tarball from POST_VISIT_TARBALL too', () => {
		expect(parseStartArgs([], { POST_VISIT_TARBALL: tarball }).tarball).toBe(tarball);
	});
});
