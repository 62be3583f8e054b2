/** @type {import('jest').Config} */
module.exports = {
	preset: 'ts-jest',
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	// e2e suites run against a real n8n through `npm run test:e2e`, not here.
	testPathIgnorePatterns: ['/node_modules/', '/test/e2e/', '/test/reliability/'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
	collectCoverageFrom: ['nodes/**/*.ts', 'credentials/**/*.ts', '!**/*.d.ts'],
	coverageReporters: ['text-summary', 'text', 'json-summary'],
	coverageThreshold: {
		'./nodes/shared/core/': { lines: 95, branches: 95 },
	},
	testTimeout: 30000,
};
