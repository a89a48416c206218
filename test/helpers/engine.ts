/**
 * Runs a workflow in n8n's real execution engine (n8n-core's WorkflowExecute), with our
 * nodes, a test trigger and real HTTP, so tests see what a user's workflow would.
 */
import { Logger } from '@n8n/backend-common';
import { Container } from '@n8n/di';
import { BinaryDataService, ExecutionLifecycleHooks, getAdditionalKeys, WorkflowExecute } from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	ICredentialsExpressionResolveValues,
	IConnections,
	IExecuteContextData,
	IExecuteFunctions,
	IHttpRequestOptions,
	INode,
	INodeExecutionData,
	INodeParameters,
	INodeType,
	INodeTypeDescription,
	INodeTypes,
	IRun,
	IRunExecutionData,
	IVersionedNodeType,
	IWorkflowExecuteAdditionalData,
	IBinaryData,
	IExecuteData,
	RelatedExecution,
	WorkflowExecuteMode,
} from 'n8n-workflow';
import { ICredentialsHelper, NodeHelpers, NodeOperationError, Workflow } from 'n8n-workflow';

import { ApilaplasApi } from '../../credentials/ApilaplasApi.credentials';
import { LumaGenerate } from '../../nodes/LumaGenerate/LumaGenerate.node';
import { LumaWait } from '../../nodes/LumaWait/LumaWait.node';

export const GENERATE_TYPE = 'n8n-nodes-apilaplas-luma.lumaGenerate';
export const WAIT_TYPE = 'n8n-nodes-apilaplas-luma.lumaWait';
export const TRIGGER_TYPE = 'test.itemsTrigger';
/** The tool variant n8n offers an AI Agent (see `toolVariant`). */
export const WAIT_TOOL_TYPE = `${WAIT_TYPE}Tool`;
export const GENERATE_TOOL_TYPE = `${GENERATE_TYPE}Tool`;

/** Emits the items the test hands it, as a form or schedule trigger would. */
class ItemsTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Items Trigger',
		name: 'itemsTrigger',
		group: ['trigger'],
		version: 1,
		description: 'Test trigger',
		defaults: { name: 'Trigger' },
		inputs: [],
		outputs: ['main'],
		properties: [],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [this.getInputData()];
	}
}

/** Sends its items back on output 0 until it has run `times` times, then on output 1: a loop. */
class RepeatNode implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Repeat',
		name: 'repeat',
		group: ['transform'],
		version: 1,
		description: 'Test loop',
		defaults: { name: 'Repeat' },
		inputs: ['main'],
		outputs: ['main', 'main'],
		properties: [{ displayName: 'Times', name: 'times', type: 'number', default: 2 }],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const again = this.getWorkflowDataProxy(0).$runIndex + 1 < (this.getNodeParameter('times', 0) as number);
		return again ? [this.getInputData(), []] : [[], this.getInputData()];
	}
}

export const REPEAT_TYPE = 'test.repeat';

/**
 * Sets one field on each item from its `value` parameter, as n8n's Edit Fields (Set) node does,
 * e.g. `={{ $('Items').item.json.sku }}`: which earlier item n8n resolves for each item.
 */
class SetFieldNode implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Set Field',
		name: 'setField',
		group: ['transform'],
		version: 1,
		description: 'Test Set',
		defaults: { name: 'Set Field' },
		inputs: ['main'],
		outputs: ['main'],
		properties: [
			{ displayName: 'Field', name: 'field', type: 'string', default: 'value' },
			{ displayName: 'Value', name: 'value', type: 'string', default: '' },
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [
			this.getInputData().map((item, itemIndex) => ({
				json: { ...item.json, [this.getNodeParameter('field', itemIndex) as string]: this.getNodeParameter('value', itemIndex) },
				pairedItem: { item: itemIndex },
			})),
		];
	}
}

export const SET_FIELD_TYPE = 'test.setField';

/** Throws, as a node after Luma Generate that fails would: the execution ends without success. */
class FailNode implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Fail',
		name: 'fail',
		group: ['transform'],
		version: 1,
		description: 'Test failure',
		defaults: { name: 'Fail' },
		inputs: ['main'],
		outputs: ['main'],
		properties: [],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		throw new NodeOperationError(this.getNode(), 'Failed on purpose after Luma Generate');
	}
}

export const FAIL_TYPE = 'test.fail';

const credentialTypes = { apilaplasApi: new ApilaplasApi() };

/**
 * A node as n8n runs it for an AI Agent: the same node under its name plus "Tool", which is what
 * `@tool` in displayOptions and the node itself test. Its outputs stay main so a test can read them.
 */
export function toolVariant<T extends INodeType | IVersionedNodeType>(nodeType: T): T {
	const { description } = nodeType;
	// A versioned node (Luma Generate) is made a tool version by version, as n8n does once it has picked the version.
	const versions: PropertyDescriptorMap =
		'nodeVersions' in nodeType ? { nodeVersions: { value: Object.fromEntries(Object.entries(nodeType.nodeVersions).map(([version, type]) => [version, toolVariant(type)])) } } : {};
	return Object.create(nodeType, {
		description: { value: { ...description, name: `${description.name}Tool`, displayName: `${description.displayName} Tool` } },
		...versions,
	}) as T;
}

const nodeTypeMap: Record<string, INodeType | IVersionedNodeType> = {
	[GENERATE_TYPE]: new LumaGenerate(),
	[WAIT_TYPE]: new LumaWait(),
	[WAIT_TOOL_TYPE]: toolVariant(new LumaWait()),
	[GENERATE_TOOL_TYPE]: toolVariant(new LumaGenerate()),
	[TRIGGER_TYPE]: new ItemsTrigger(),
	[REPEAT_TYPE]: new RepeatNode(),
	[SET_FIELD_TYPE]: new SetFieldNode(),
	[FAIL_TYPE]: new FailNode(),
};

export const nodeTypes: INodeTypes = {
	getByName: (name: string) => nodeTypeMap[name],
	getByNameAndVersion: (name: string, version?: number) =>
		NodeHelpers.getVersionedNodeType(nodeTypeMap[name], version),
	getKnownTypes: () => ({}),
} as INodeTypes;

/**
 * Node types as n8n 1.x (1.123) serves tools: the tool variant of a type is built from the version
 * first asked for and cached under the tool's type name alone, so every later node of that tool
 * type, whatever its `typeVersion`, runs on that one object (n8n 2.x keys it by version too).
 * Pass as `RunOptions.nodeTypes`; keep one across runs to share the cache as one 1.x process does.
 */
export function nodeTypesCachingToolsByName(): INodeTypes {
	const tools = new Map<string, INodeType>();
	return {
		...nodeTypes,
		getByNameAndVersion: (name: string, version?: number) => {
			if (!name.endsWith('Tool')) return nodeTypes.getByNameAndVersion(name, version);
			const base = NodeHelpers.getVersionedNodeType(nodeTypeMap[name.replace(/Tool$/, '')], version);
			if (!tools.has(name)) tools.set(name, toolVariant(base));
			return tools.get(name)!;
		},
	} as INodeTypes;
}

/** Applies the credential's own `authenticate` (generic headers resolved as n8n resolves them). */
export class TestCredentialsHelper extends ICredentialsHelper {
	constructor(private readonly credentials: Record<string, ICredentialDataDecryptedObject>) {
		super();
	}

	isCredentialUsableByNode(): boolean {
		return true;
	}

	getParentTypes(): string[] {
		return [];
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		requestOptions: IHttpRequestOptions,
		workflow: Workflow,
		node: INode,
	): Promise<IHttpRequestOptions> {
		const type = credentialTypes[typeName as keyof typeof credentialTypes];
		const auth = type?.authenticate;
		if (!auth || typeof auth === 'function' || auth.type !== 'generic') return requestOptions;
		const headers = { ...(requestOptions.headers ?? {}) };
		for (const [name, value] of Object.entries(auth.properties.headers ?? {})) {
			headers[name] = workflow.expression.getParameterValue(
				value as string, null, 0, 0, node.name, [], 'internal', { $credentials: credentials },
			) as string;
		}
		return { ...requestOptions, headers };
	}

	async preAuthentication(): Promise<undefined> {
		return undefined;
	}

	async runPreAuthentication(): Promise<undefined> {
		return undefined;
	}

	async getCredentials(): Promise<never> {
		throw new Error('not used in tests');
	}

	/**
	 * The credential's data; a field that is an expression (`={{ $json.apiKey }}`) is resolved for
	 * the item n8n names in `expressionResolveValues`, as n8n's CredentialsHelper does.
	 */
	async getDecrypted(
		additionalData: IWorkflowExecuteAdditionalData,
		_nodeCredentials: unknown,
		type: string,
		mode: WorkflowExecuteMode,
		executeData?: IExecuteData,
		_raw?: boolean,
		expressionResolveValues?: ICredentialsExpressionResolveValues,
	): Promise<ICredentialDataDecryptedObject> {
		const data = { ...(this.credentials[type] ?? {}) };
		if (!expressionResolveValues) return data;
		const { workflow, runExecutionData, runIndex, itemIndex, node, connectionInputData } = expressionResolveValues;
		const additionalKeys = getAdditionalKeys(additionalData, mode, null, { isCredential: true });
		return workflow.expression.getParameterValue(
			data as INodeParameters, runExecutionData, runIndex, itemIndex, node.name, connectionInputData, mode, additionalKeys, executeData, false, data,
		) as ICredentialDataDecryptedObject;
	}

	async updateCredentials(): Promise<void> {}

	async updateCredentialsOauthTokenData(): Promise<void> {}

	getCredentialsProperties() {
		return [];
	}
}

export interface LogLine {
	level: string;
	message: string;
	meta?: unknown;
}

/** Everything the nodes logged during the test run. */
export const logLines: LogLine[] = [];

const captureLogger = {
	scoped: () => captureLogger,
	...Object.fromEntries(
		['error', 'warn', 'info', 'debug'].map((level) => [
			level,
			(message: string, meta?: unknown) => logLines.push({ level, message, meta }),
		]),
	),
};

let binaryReady: Promise<void> | undefined;

export function prepareEngine(): Promise<void> {
	Container.set(Logger, captureLogger as unknown as Logger);
	binaryReady ??= Container.get(BinaryDataService).init();
	return binaryReady;
}

export interface RunOptions {
	nodes: INode[];
	connections: IConnections;
	/** Items the trigger emits. */
	items: INodeExecutionData[];
	credentials?: ICredentialDataDecryptedObject;
	/** Cancels the execution (as the Stop button does) after this many ms. */
	cancelAfterMs?: number;
	/**
	 * Cancels the execution (as the Stop button does) when this promise settles: on an event, e.g.
	 * once the emulator holds the node's long poll, rather than after a time.
	 */
	cancelOn?: Promise<unknown>;
	/**
	 * Runs as n8n retries this earlier execution: in mode `retry`, with its node contexts
	 * (`run.data.executionData.contextData`) handed back. Otherwise a new `manual` execution.
	 */
	retryOf?: RunResult;
	/** The execution mode (default `manual`, the editor's; `retry` with `retryOf`). */
	mode?: WorkflowExecuteMode;
	/** Runs as a sub-workflow's execution started by this parent execution (mode `integrated` unless `mode` says otherwise). */
	parentExecution?: RelatedExecution;
	/** The workflow's id (default `test-workflow`). */
	workflowId?: string;
	/** The node types the engine gets (default `nodeTypes`; see `nodeTypesCachingToolsByName`). */
	nodeTypes?: INodeTypes;
}

let executionCounter = 0;

export interface RunResult {
	run: IRun;
	executionId: string;
	/** The node's outputs of its first run: one array of items per output. */
	outputs(nodeName: string): INodeExecutionData[][];
	/** The error that stopped the workflow, if any. */
	error: IRun['data']['resultData']['error'];
	/** Time from start until the engine finished. */
	elapsedMs: number;
}

export async function runWorkflow(options: RunOptions): Promise<RunResult> {
	await prepareEngine();
	const workflowId = options.workflowId ?? 'test-workflow';
	const workflow = new Workflow({
		id: workflowId,
		nodes: options.nodes,
		connections: options.connections,
		nodeTypes: options.nodeTypes ?? nodeTypes,
		active: false,
	});
	const mode: WorkflowExecuteMode = options.mode ?? (options.retryOf ? 'retry' : options.parentExecution ? 'integrated' : 'manual');
	const contextData: IExecuteContextData | undefined = options.retryOf?.run.data.executionData?.contextData;
	const executionId = `test-execution-${++executionCounter}`;
	const hooks = new ExecutionLifecycleHooks(mode, executionId, {
		id: workflowId,
		name: 'test',
		nodes: options.nodes,
		connections: options.connections,
		active: false,
		settings: {},
		createdAt: new Date(),
		updatedAt: new Date(),
	} as never);
	let finished!: (run: IRun) => void;
	const done = new Promise<IRun>((resolve) => (finished = resolve));
	hooks.addHandler('workflowExecuteAfter', (run) => finished(run));

	const additionalData = {
		hooks,
		credentialsHelper: new TestCredentialsHelper({ apilaplasApi: options.credentials ?? {} }),
		executionId,
		restApiUrl: 'http://127.0.0.1/rest',
		webhookBaseUrl: 'http://127.0.0.1/webhook',
		webhookWaitingBaseUrl: 'http://127.0.0.1/webhook-waiting',
		webhookTestBaseUrl: 'http://127.0.0.1/webhook-test',
		formWaitingBaseUrl: 'http://127.0.0.1/form-waiting',
		instanceBaseUrl: 'http://127.0.0.1/',
		variables: {},
		currentNodeParameters: undefined,
		userId: 'test-user',
	} as unknown as IWorkflowExecuteAdditionalData;

	const trigger = options.nodes.find((node) => node.type === TRIGGER_TYPE)!;
	const runExecutionData = {
		...(options.parentExecution ? { parentExecution: options.parentExecution } : {}),
		resultData: { runData: {} },
		executionData: {
			metadata: {},
			contextData: contextData ? JSON.parse(JSON.stringify(contextData)) : {},
			waitingExecution: {},
			waitingExecutionSource: null,
			nodeExecutionStack: [{ node: trigger, data: { main: [options.items] }, source: null }],
		},
	} as unknown as IRunExecutionData;

	const started = Date.now();
	const execution = new WorkflowExecute(additionalData, mode, runExecutionData).processRunExecutionData(workflow);
	if (options.cancelAfterMs !== undefined) {
		setTimeout(() => execution.cancel(), options.cancelAfterMs);
	}
	const cancel = () => execution.cancel();
	void options.cancelOn?.then(cancel, cancel);
	let run: IRun;
	try {
		run = await execution;
	} catch {
		run = await done;
	}
	const elapsedMs = Date.now() - started;
	return {
		run,
		executionId,
		elapsedMs,
		error: run.data.resultData.error,
		outputs: (nodeName: string) =>
			(run.data.resultData.runData[nodeName]?.[0]?.data?.main ?? []).map((items) => items ?? []),
	};
}

export async function binaryBuffer(binary: IBinaryData): Promise<Buffer> {
	return await Container.get(BinaryDataService).getAsBuffer(binary);
}

// ---- workflow builders ----

let nodeCounter = 0;

export function node(name: string, type: string, parameters: INode['parameters'] = {}): INode {
	return {
		id: `node-${++nodeCounter}`,
		name,
		type,
		typeVersion: 1,
		position: [0, 0],
		parameters,
		credentials: type === TRIGGER_TYPE || type === REPEAT_TYPE || type === FAIL_TYPE ? undefined : { apilaplasApi: { id: 'cred-1', name: 'Apilaplas' } },
	};
}

/** Connects nodes in a chain: Trigger → a → b …; `[name, outputIndex]` picks an output. */
export function chain(...names: Array<string | [string, number]>): IConnections {
	const connections: IConnections = {};
	for (let i = 0; i < names.length - 1; i++) {
		const [from, output] = Array.isArray(names[i]) ? (names[i] as [string, number]) : [names[i] as string, 0];
		const to = Array.isArray(names[i + 1]) ? (names[i + 1] as [string, number])[0] : (names[i + 1] as string);
		connections[from] ??= { main: [] };
		const main = connections[from].main;
		while (main.length <= output) main.push([]);
		main[output]!.push({ node: to, type: 'main', index: 0 });
	}
	return connections;
}

export function items(...jsons: Array<Record<string, unknown>>): INodeExecutionData[] {
	return jsons.map((json) => ({ json: json as INodeExecutionData['json'] }));
}

/**
 * Trigger → one node → Repeat, looped back `times` times: the node run again in one execution
 * with a new run index each time, as a loop or an AI Agent's tool calls run it.
 */
export function runLoop(type: string, parameters: INode['parameters'], times: number, json: Record<string, unknown>, credentials?: ICredentialDataDecryptedObject): Promise<RunResult> {
	return runWorkflow({
		nodes: [node('Trigger', TRIGGER_TYPE), node('Generate', type, parameters), node('Repeat', REPEAT_TYPE, { times })],
		connections: { ...chain('Trigger', 'Generate', 'Repeat'), ...chain(['Repeat', 0], 'Generate') },
		items: items(json),
		credentials,
	});
}
