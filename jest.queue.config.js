/**
 * The queue-mode suite (scripts/test-queue.sh): docker-compose.yml's `queue` profile without Docker — a real
 * n8n main, two workers and a webhook processor on Postgres and Redis. Files end in `.queue.ts`, so neither
 * the unit run nor the e2e run picks them up.
 */
/** @type {import('jest').Config} */
module.exports = {
	preset: 'ts-jest',
	testEnvironment: 'node',
	roots: ['<rootDir>/test/queue'],
	testMatch: ['**/*.queue.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
	testTimeout: 600_000,
	maxWorkers: 1,
};
