/**
 * The reliability and security suite (issue #7, scripts/test-reliability.sh): forged and malformed input,
 * duplicates and races, dependency faults, restarts, compliance, PHI and secrets, mostly against a real n8n.
 * Files end in `.rel.test.ts`; RELIABILITY_PROFILE (ci | full, test/reliability/profile.ts) sets how much
 * each check tries. Figures land in coverage/reliability/ and, in the full profile, RELIABILITY.md.
 */
/** @type {import('jest').Config} */
module.exports = {
	preset: 'ts-jest',
	testEnvironment: 'node',
	roots: ['<rootDir>/test/reliability'],
	testMatch: ['**/*.rel.test.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
	testTimeout: 1_800_000,
	maxWorkers: 1,
};
