import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import tseslint from 'typescript-eslint';

const communityRules = n8nCommunityNodesPlugin.configs.recommendedWithoutN8nCloudSupport;

export default [
	{ ignores: ['dist/**', 'coverage/**', 'node_modules/**', '.tools/**', '.runtime/**', '.sandbox/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
	{
		files: ['**/*.ts'],
		languageOptions: { parser: tseslint.parser, parserOptions: { ecmaVersion: 2022, sourceType: 'module' } },
		plugins: { '@typescript-eslint': tseslint.plugin },
		rules: {
			'@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
			'@typescript-eslint/no-explicit-any': 'error',
			'no-console': 'off',
		},
	},
	{
		...communityRules,
		files: ['nodes/**/*.ts', 'credentials/**/*.ts', 'package.json'],
		languageOptions: { parser: tseslint.parser },
		rules: {
			...communityRules.rules,
			// Self-hosted target: the pack ships twilio, nodemailer, pg, luxon and zod as runtime dependencies
			// (PHI stays on infrastructure the practice controls, where community packages install their deps).
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
		},
	},
	{
		// The pure core: no n8n, no I/O layers above it.
		files: ['nodes/shared/core/**/*.ts'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{ group: ['n8n-workflow', 'n8n-core', '../ehr/*', '../store/*', '../n8n/*', 'node:*', 'twilio', 'nodemailer', 'pg'], message: 'nodes/shared/core is pure: zod and luxon only.' },
					],
				},
			],
		},
	},
	{
		// The layers below n8n cannot import n8n-workflow, so they cannot throw its errors: they throw typed
		// domain/EHR errors that nodes/shared/n8n/errors.ts maps to NodeOperationError/NodeApiError with the item.
		files: ['nodes/shared/{core,ehr,store,flows,messaging}/**/*.ts'],
		rules: { '@n8n/community-nodes/require-node-api-error': 'off' },
	},
	{
		files: ['nodes/shared/ehr/**/*.ts', 'nodes/shared/store/**/*.ts', 'nodes/shared/messaging/**/*.ts', 'nodes/shared/flows/**/*.ts'],
		rules: {
			'no-restricted-imports': [
				'error',
				{ patterns: [{ group: ['n8n-workflow', 'n8n-core', '../n8n/*', '../../n8n/*'], message: 'Only nodes/shared/n8n imports n8n-workflow.' }] },
			],
		},
	},
];
