import { ExecutionLifecycleHooks, LoadOptionsContext, TriggerContext, WorkflowExecute } from 'n8n-core';
import { ICredentialsHelper, NodeConnectionTypes, Workflow } from 'n8n-workflow';
import type {
	ICredentialDataDecryptedObject,
	ICredentials,
	ICredentialType,
	ExecutionError,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INode,
	INodeExecutionData,
	INodeParameters,
	INodeProperties,
	INodePropertyOptions,
	INodeType,
	INodeTypes,
	INodeTypeDescription,
	IRun,
	IVersionedNodeType,
	IWorkflowExecuteAdditionalData,
	WorkflowExecuteMode,
} from 'n8n-workflow';

process.env.N8N_USER_FOLDER ??= require('node:path').join(require('node:os').tmpdir(), 'post-visit-engine');

/**
 * The test double of n8n's Manual Trigger: emits the items given in its `items` parameter. n8n-nodes-base is
 * not a dependency of the pack, and a trigger whose output is spelled out keeps each test readable.
 */
class FixtureTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Fixture',
		name: 'fixture',
		group: ['trigger'],
		version: 1,
		description: 'Emits fixed items',
		defaults: { name: 'Fixture' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		properties: [{ displayName: 'Items', name: 'items', type: 'json', default: '[]' }],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const raw = this.getNodeParameter('items', 0) as string | IDataObject[];
		const items = (typeof raw === 'string' ? JSON.parse(raw) : raw) as IDataObject[];
		return [items.map((json, index) => ({ json, pairedItem: { item: index } }))];
	}
}

/** Resolves a generic authenticate block's `={{$credentials.x}}` values with n8n's own expression engine. */
function resolveAuthValue(value: unknown, credentials: ICredentialDataDecryptedObject, workflow: Workflow, node: INode): unknown {
	if (typeof value !== 'string' || !value.startsWith('=')) return value;
	return workflow.expression.getParameterValue(value, null, 0, 0, node.name, [], 'internal', { $credentials: credentials });
}

/**
 * The credentials side of n8n for in-process runs: decrypted data from the test, and the credential
 * classes' own `authenticate` and `preAuthentication`, as n8n's CredentialsHelper applies them.
 */
export class TestCredentialsHelper extends ICredentialsHelper {
	constructor(
		private readonly data: Record<string, ICredentialDataDecryptedObject>,
		private readonly types: Record<string, ICredentialType>,
	) {
		super();
	}

	getParentTypes(name: string): string[] {
		return this.types[name]?.extends ?? [];
	}

	isCredentialUsableByNode(): boolean {
		return true;
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		requestOptions: IHttpRequestOptions,
		workflow?: Workflow,
		node?: INode,
	): Promise<IHttpRequestOptions> {
		const authenticate = this.types[typeName]?.authenticate;
		if (!authenticate) return requestOptions;
		if (typeof authenticate === 'function') return await authenticate(credentials, requestOptions);
		const options = { ...requestOptions, headers: { ...requestOptions.headers }, qs: { ...requestOptions.qs } };
		for (const [key, value] of Object.entries(authenticate.properties.headers ?? {})) {
			options.headers[key] = resolveAuthValue(value, credentials, workflow!, node!) as string;
		}
		for (const [key, value] of Object.entries(authenticate.properties.qs ?? {})) {
			options.qs[key] = resolveAuthValue(value, credentials, workflow!, node!) as string;
		}
		if (authenticate.properties.auth) {
			options.auth = {
				username: resolveAuthValue(authenticate.properties.auth.username, credentials, workflow!, node!) as string,
				password: resolveAuthValue(authenticate.properties.auth.password, credentials, workflow!, node!) as string,
			};
		}
		return options;
	}

	async preAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		_node: INode,
		credentialsExpired: boolean,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const type = this.types[typeName];
		if (!type?.preAuthentication) return undefined;
		const expirable = type.properties.find((p) => p.typeOptions?.expirable);
		if (!expirable || (!credentialsExpired && credentials[expirable.name])) return undefined;
		const update = (await type.preAuthentication.call(helpers, credentials)) as ICredentialDataDecryptedObject;
		Object.assign(this.data[typeName], update);
		return { ...credentials, ...update };
	}

	async runPreAuthentication(helpers: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject, typeName: string) {
		return (await this.types[typeName]?.preAuthentication?.call(helpers, credentials)) as ICredentialDataDecryptedObject | undefined;
	}

	async getCredentials(): Promise<ICredentials> {
		throw new Error('not used in tests');
	}

	async getDecrypted(_additionalData: IWorkflowExecuteAdditionalData, _nodeCredentials: unknown, type: string) {
		const data = this.data[type];
		if (!data) throw new Error(`Test has no "${type}" credential`);
		return { ...data };
	}

	async updateCredentials(_nodeCredentials: unknown, type: string, data: ICredentialDataDecryptedObject): Promise<void> {
		this.data[type] = data;
	}

	/** As n8n's CredentialsHelper: a refreshed OAuth2 token is saved with the credential, so later requests use it. */
	async updateCredentialsOauthTokenData(_nodeCredentials: unknown, type: string, data: ICredentialDataDecryptedObject): Promise<void> {
		this.data[type] = { ...this.data[type], oauthTokenData: data.oauthTokenData };
	}

	getCredentialsProperties(type: string): INodeProperties[] {
		return this.types[type]?.properties ?? [];
	}
}

export interface WorkflowFixture {
	nodes: Array<Omit<INode, 'id' | 'typeVersion' | 'position'> & Partial<Pick<INode, 'id' | 'typeVersion' | 'position'>>>;
	connections: Workflow['connectionsBySourceNode'];
}

/** A workflow in which a fixture node hands these items to one node of the pack. */
export function single(name: string, type: string, parameters: INodeParameters, items: unknown[], node: IDataObject = {}) {
	return {
		nodes: [
			{ name: 'Fixture', type: 'test.fixture', parameters: { items: JSON.stringify(items) } },
			{ name, type: `n8n-nodes-post-visit.${type}`, parameters, ...node },
		],
		connections: { Fixture: { main: [[{ node: name, type: 'main' as const, index: 0 }]] } },
	};
}

export interface RunResult {
	run: IRun;
	/** The execution's status as n8n would store it: success, error, or waiting (a node called putExecutionToWait). */
	status: IRun['status'];
	/** When a waiting execution resumes (n8n's waitTill); undefined unless status is waiting. */
	waitTill?: Date;
	/** Items (JSON and pairedItem) on one output of a node's last run. */
	items(nodeName: string, outputIndex?: number): INodeExecutionData[];
	/** Items on each output of a node's last run: output index → JSON. */
	output(nodeName: string, outputIndex?: number): IDataObject[];
	error(nodeName: string): { message: string; description?: string | null } | undefined;
	/**
	 * The error of a node's last run as n8n-core records it: a plain copy of the thrown error's own fields
	 * (`name` NodeOperationError/NodeApiError, description, context.itemIndex, httpCode…), not the instance.
	 */
	nodeError(nodeName: string): ExecutionError | undefined;
}

export interface EngineOptions {
	nodeTypes: Record<string, INodeType | IVersionedNodeType>;
	/**
	 * How n8n started the run: 'trigger' (default: a published workflow's run, which acts) or 'manual' (the
	 * editor's "Execute workflow", which only shows: pack nodes send, claim and schedule nothing).
	 */
	mode?: WorkflowExecuteMode;
	credentials?: Record<string, ICredentialDataDecryptedObject>;
	credentialTypes?: Record<string, ICredentialType>;
	staticData?: IDataObject;
}

/** The parts of an in-process n8n a node context is built from (see createEngine). */
export interface Engine {
	workflow: Workflow;
	additionalData: IWorkflowExecuteAdditionalData;
	credentialsHelper: TestCredentialsHelper;
	/** The workflow's node of that name (parameters completed with their defaults, as n8n does). */
	node(name: string): INode;
}

/**
 * The workflow and the additional data n8n-core's execution contexts (WorkflowExecute, HookContext, PollContext,
 * WebhookContext) run with: the pack's node classes under `n8n-nodes-post-visit.<name>`, every test credential set
 * on every node, and the credential classes' own authenticate/preAuthentication.
 */
let engineRuns = 0;

export function createEngine(fixture: WorkflowFixture, options: EngineOptions): Engine {
	const types: Record<string, INodeType | IVersionedNodeType> = { 'test.fixture': new FixtureTrigger() };
	for (const [name, type] of Object.entries(options.nodeTypes)) types[`n8n-nodes-post-visit.${name}`] = type;
	const nodeTypes: INodeTypes = {
		getByName: (type) => types[type],
		getByNameAndVersion: (type, version) => {
			const nodeType = types[type];
			return nodeType && 'nodeVersions' in nodeType ? nodeType.getNodeType(version) : (nodeType as INodeType);
		},
		getKnownTypes: () => ({}),
	};
	const credentialNames = Object.keys(options.credentials ?? {});
	const nodes: INode[] = fixture.nodes.map((node, index) => ({
		id: `node-${index}`,
		typeVersion: 1,
		position: [index * 200, 0],
		credentials: Object.fromEntries(credentialNames.map((name) => [name, { id: name, name }])),
		...node,
	}));
	const workflowData = {
		id: 'wf-test',
		name: 'test',
		active: false,
		nodes,
		connections: fixture.connections,
		settings: { executionOrder: 'v1' as const },
		staticData: options.staticData ?? {},
	};
	const workflow = new Workflow({ ...workflowData, nodeTypes });
	// Each run its own execution id, as n8n gives each execution (the pack shares some credentials within one).
	const executionId = `exec-test-${++engineRuns}`;
	const hooks = new ExecutionLifecycleHooks(options.mode ?? 'trigger', executionId, { ...workflowData, isArchived: false, createdAt: new Date(), updatedAt: new Date() } as never);
	const credentialsHelper = new TestCredentialsHelper({ ...options.credentials }, options.credentialTypes ?? {});
	const additionalData = {
		hooks,
		executionId,
		credentialsHelper,
		restApiUrl: 'http://127.0.0.1/rest',
		instanceBaseUrl: 'http://127.0.0.1/',
		webhookBaseUrl: 'http://127.0.0.1/webhook',
		webhookWaitingBaseUrl: 'http://127.0.0.1/webhook-waiting',
		webhookTestBaseUrl: 'http://127.0.0.1/webhook-test',
		formBaseUrl: 'http://127.0.0.1/form',
		formWaitingBaseUrl: 'http://127.0.0.1/form-waiting',
		formTestBaseUrl: 'http://127.0.0.1/form-test',
		mcpBaseUrl: 'http://127.0.0.1/mcp',
		mcpTestBaseUrl: 'http://127.0.0.1/mcp-test',
		variables: {},
		currentNodeExecutionIndex: 0,
		executeWorkflow: async () => {
			throw new Error('sub-workflows are not used');
		},
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		logAiEvent: () => {},
		startRunnerTask: async () => {
			throw new Error('code tasks are not used');
		},
	} as unknown as IWorkflowExecuteAdditionalData;
	return {
		workflow,
		additionalData,
		credentialsHelper,
		node: (name) => {
			const node = workflow.getNode(name);
			if (!node) throw new Error(`no node "${name}" in the test workflow`);
			return node;
		},
	};
}

/**
 * Runs a workflow in-process through n8n-core's WorkflowExecute, the engine n8n itself runs, with the pack's
 * node classes and the test's credentials. Starts at the node named `Fixture`: a FixtureTrigger, or a pack trigger
 * run the way the editor runs it (a poll trigger polls once, in mode 'manual').
 */
export async function runWorkflow(fixture: WorkflowFixture, options: EngineOptions): Promise<RunResult> {
	const { workflow, additionalData } = createEngine(fixture, options);
	const run = await new WorkflowExecute(additionalData, options.mode ?? 'trigger').run({ workflow, startNode: workflow.getNode('Fixture')! });
	const runData = run.data.resultData.runData;
	const items = (nodeName: string, outputIndex = 0) => runData[nodeName]?.at(-1)?.data?.main?.[outputIndex] ?? [];
	return {
		run,
		status: run.status,
		waitTill: run.waitTill ?? undefined,
		items,
		output: (nodeName, outputIndex = 0) => items(nodeName, outputIndex).map((item) => item.json),
		error: (nodeName) => {
			const error = runData[nodeName]?.at(-1)?.error;
			return error ? { message: error.message, description: error.description } : undefined;
		},
		nodeError: (nodeName) => runData[nodeName]?.at(-1)?.error,
	};
}

/**
 * What a dropdown of a node lists when its panel opens: the node's `methods.loadOptions[method]` called in n8n-core's
 * LoadOptionsContext, as n8n's dynamic-node-parameters service calls it, with the node's parameters and credentials.
 */
export async function loadNodeOptions(fixture: WorkflowFixture, options: EngineOptions, nodeName: string, method: string): Promise<INodePropertyOptions[]> {
	const engine = createEngine(fixture, options);
	const node = engine.node(nodeName);
	const nodeType = engine.workflow.nodeTypes.getByNameAndVersion(node.type, node.typeVersion);
	const load = nodeType.methods?.loadOptions?.[method];
	if (!load) throw new Error(`${nodeName} has no loadOptions method "${method}"`);
	return await load.call(new LoadOptionsContext(engine.workflow, node, engine.additionalData, 'parameters'));
}

/** A pack trigger started as n8n starts it on activation (or on "Execute workflow", mode 'manual'). */
export interface RunningTrigger {
	/** Each emit's output data, in order: one INodeExecutionData list per output. */
	readonly emitted: INodeExecutionData[][][];
	/** Errors the trigger reported (n8n would save a failed execution for each). */
	readonly failures: Error[];
	/** Resolves once at least `count` emits happened (or fails after `timeoutMs`). */
	emits(count: number, timeoutMs?: number): Promise<INodeExecutionData[][][]>;
	/** A manual run's single emit (the trigger's manualTriggerFunction). */
	manual(): Promise<INodeExecutionData[][]>;
	close(): Promise<void>;
}

export async function startTrigger(fixture: WorkflowFixture, options: EngineOptions, nodeName: string): Promise<RunningTrigger> {
	const engine = createEngine(fixture, options);
	const node = engine.node(nodeName);
	const nodeType = engine.workflow.nodeTypes.getByNameAndVersion(node.type, node.typeVersion);
	const emitted: INodeExecutionData[][][] = [];
	const failures: Error[] = [];
	const mode = options.mode ?? 'trigger';
	const context = new TriggerContext(
		engine.workflow,
		node,
		engine.additionalData,
		mode,
		'activate',
		(data) => void emitted.push(data as INodeExecutionData[][]),
		(error) => void failures.push(error),
		(error) => void failures.push(error),
	);
	const response = await nodeType.trigger!.call(context);
	return {
		emitted,
		failures,
		async emits(count, timeoutMs = 20_000) {
			const deadline = Date.now() + timeoutMs;
			while (emitted.length < count) {
				if (Date.now() > deadline) throw new Error(`expected ${count} emits, got ${emitted.length}; failures: ${failures.map((f) => f.message).join('; ')}`);
				await new Promise((resolve) => setTimeout(resolve, 25));
			}
			return emitted.slice(0, count);
		},
		async manual() {
			if (!response?.manualTriggerFunction) throw new Error(`${nodeName} has no manual run`);
			await response.manualTriggerFunction();
			return emitted.at(-1)!;
		},
		async close() {
			await response?.closeFunction?.();
		},
	};
}
