import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';
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
	// The nodes-base rule sets that @n8n/node-cli's configWithoutCloudSupport adds, on the same files.
	{
		files: ['package.json'],
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		languageOptions: { parser: tseslint.parser, parserOptions: { extraFileExtensions: ['.json'] } },
		rules: { ...n8nNodesBase.configs.community.rules },
	},
	{
		files: ['credentials/**/*.ts'],
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: {
			...n8nNodesBase.configs.credentials.rules,
			// Switched off by node-cli itself.
			'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
			'n8n-nodes-base/cred-class-field-type-options-password-missing': 'off',
			// Webhook secret, journey store, message texts, practice profile, HL7 TLS: not APIs (type names keep "Api").
			'n8n-nodes-base/cred-class-field-display-name-missing-api': 'off',
		},
	},
	{
		files: ['nodes/**/*.ts'],
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: {
			...n8nNodesBase.configs.nodes.rules,
			// Switched off by node-cli itself.
			'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
			'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
			'n8n-nodes-base/node-param-type-options-max-value-present': 'off',
			// Crashes on a spread in `credentials`; valid-credential-references + cred-class-field-name-unsuffixed cover it.
			'n8n-nodes-base/node-class-description-credentials-name-unsuffixed': 'off',
			// tsc already requires `default` (INodeProperties); the rule misses one read from a constant (`x.reminder`).
			'n8n-nodes-base/node-param-default-missing': 'off',
			// Node files throw the domain's typed errors, which nodes/shared/n8n/errors.ts maps to n8n's, with the item.
			'n8n-nodes-base/node-execute-block-wrong-error-thrown': 'off',
		},
	},
	{
		// Vendor and standard spellings the title-case rules would change: "athenahealth", "athenaOne", "HL7 v2".
		files: ['credentials/AthenahealthApi.credentials.ts', 'credentials/Hl7v2MllpTlsApi.credentials.ts', 'nodes/shared/n8n/descriptions.ts'],
		rules: {
			'n8n-nodes-base/cred-class-field-display-name-miscased': 'off',
			'n8n-nodes-base/node-param-display-name-miscased': 'off',
		},
	},
	{
		// Tebra's customer key is one of the three secrets in every SOAP call (with user and password): it stays masked.
		files: ['credentials/TebraApi.credentials.ts'],
		rules: { '@n8n/community-nodes/credential-unnecessary-password': 'off' },
	},
	{
		// The base description CadenceWaitV1 and V2 share (a VersionedNodeType); the rule takes it for a node class.
		files: ['nodes/CadenceWait/parameters.ts'],
		rules: { 'n8n-nodes-base/node-filename-against-convention': 'off' },
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
