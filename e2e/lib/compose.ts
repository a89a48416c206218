/**
 * Helpers for e2e/compose.e2e.test.ts: our nodes inside what n8n builds around them (sub-workflows,
 * Loop Over Items, Always Output Data, per-item credentials, the editor's partial execution).
 * Workflow builders, a tiny HTTP "gate" a child workflow calls so it fails on cue, and the editor's
 * REST calls: a full manual run, "Execute step" (a partial execution to a destination node) and a save.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';

import type { Execution, Task } from './durable';
import type { Workflow, WorkflowNode } from './examples';
import type { N8nRest } from './runtime';
import { N8N_LINE, RUNTIME_DIR, waitUntil } from './runtime';

type Json = Record<string, unknown>;

/** n8n stores run data in the `flatted` format; the runtime ships the parser it uses. */
const flatted = createRequire(path.join(RUNTIME_DIR, 'package.json'))('flatted') as { parse: (text: string) => unknown };

// ---- workflow builders ----

/** A node of any type; `extra` holds node settings (retryOnFail, alwaysOutputData, credentials…). */
export function node(name: string, type: string, typeVersion: number, parameters: Json = {}, extra: Json = {}): WorkflowNode {
	return { id: randomUUID(), name, type, typeVersion, position: [0, 0], parameters, ...extra };
}

/** A production Webhook (POST, answered at once) on `webhookPath`. */
export function webhookNode(name: string, webhookPath: string): WorkflowNode {
	return node(name, 'n8n-nodes-base.webhook', 2, { httpMethod: 'POST', path: webhookPath, responseMode: 'onReceived', options: {} }, { webhookId: randomUUID() });
}

/** A Code node (run once for all items) returning `items` as they are. */
export function itemsNode(name: string, items: Json[]): WorkflowNode {
	return node(name, 'n8n-nodes-base.code', 2, { jsCode: `return ${JSON.stringify(items.map((json) => ({ json })))};` });
}

/** A Code node turning the webhook body's `prompts` into one item per prompt. */
export function promptsFromBody(name: string): WorkflowNode {
	return node(name, 'n8n-nodes-base.code', 2, { jsCode: 'return $input.first().json.body.prompts.map((prompt) => ({ json: { prompt } }));' });
}

/** Execute Workflow (1.2, both lines): runs the child `childId` once with all items and waits for it. */
export function executeWorkflowNode(name: string, childId: string, settings: Json = {}): WorkflowNode {
	return node(
		name,
		'n8n-nodes-base.executeWorkflow',
		1.2,
		{ source: 'database', workflowId: { __rl: true, mode: 'id', value: childId }, mode: 'once', workflowInputs: { mappingMode: 'defineBelow', value: {}, matchingColumns: [], schema: [] }, options: { waitForSubWorkflow: true } },
		settings,
	);
}

/** The child's start: Execute Workflow Trigger passing every item on as it came. */
export function subWorkflowTrigger(name: string): WorkflowNode {
	return node(name, 'n8n-nodes-base.executeWorkflowTrigger', 1.1, { inputSource: 'passthrough' });
}

/** An HTTP Request node POSTing to `url` (its answer replaces the item). */
export function httpPostNode(name: string, url: string): WorkflowNode {
	return node(name, 'n8n-nodes-base.httpRequest', 4.2, { method: 'POST', url, options: {} });
}

/** A main connection to input 0 of `target`. */
export function to(target: string): Array<{ node: string; type: string; index: number }> {
	return [{ node: target, type: 'main', index: 0 }];
}

/** Connections of a straight line of nodes, each output 0 to the next one's input. */
export function line(...names: string[]): Workflow['connections'] {
	return Object.fromEntries(names.slice(0, -1).map((name, index) => [name, { main: [to(names[index + 1])] }]));
}

/** A workflow with the v1 execution order, no pinned data. */
export function workflow(id: string, name: string, nodes: WorkflowNode[], connections: Workflow['connections'], settings: Json = {}): Workflow {
	nodes.forEach((entry, index) => (entry.position = [index * 220, 0]));
	return { id, name, nodes, connections, settings: { executionOrder: 'v1', ...settings }, pinData: {} };
}

// ---- the gate: an HTTP endpoint that fails the next calls on cue ----

/** A local endpoint a child workflow calls: it answers 500 to the next `failNext(n)` calls, 200 after. */
export class Gate {
	private server?: http.Server;

	private failures = 0;

	/** Every call, in order, with the status it got. */
	readonly calls: number[] = [];

	async start(): Promise<this> {
		this.server = http.createServer((req, res) => {
			req.resume();
			req.on('end', () => {
				const fail = this.failures > 0;
				if (fail) this.failures--;
				const status = fail ? 500 : 200;
				this.calls.push(status);
				res.writeHead(status, { 'Content-Type': 'application/json' });
				res.end(JSON.stringify(fail ? { message: 'The gate is closed this once' } : { passed: true }));
			});
		});
		await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
		return this;
	}

	get url(): string {
		return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/gate`;
	}

	/** The next `count` calls fail (500), the ones after pass. */
	failNext(count: number): void {
		this.failures = count;
		this.calls.length = 0;
	}

	async stop(): Promise<void> {
		const server = this.server;
		this.server = undefined;
		if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
	}
}

// ---- executions ----

export interface TaskWithHints extends Task {
	hints?: Array<{ message: string; location?: string }>;
	error?: { message?: string; description?: string };
}

const ENDED = ['success', 'error', 'crashed', 'canceled'];

/** One execution with its run data (hints and errors kept), or undefined while n8n has not saved it. */
async function readSaved(rest: N8nRest, id: string): Promise<Execution | undefined> {
	const res = await rest.send('GET', `/executions/${id}`);
	if (res.status === 404) return undefined;
	const text = await res.text();
	if (!res.ok) throw new Error(`GET /rest/executions/${id} → ${res.status}: ${text.slice(0, 500)}`);
	const raw = (JSON.parse(text) as { data?: Execution & { data?: string } }).data;
	// An execution just started may come without its data yet.
	const data = (raw?.data ? flatted.parse(raw.data) : undefined) as { resultData?: { runData?: Record<string, Task[]> } } | null | undefined;
	if (!raw || !data) return undefined;
	return { id: raw.id, status: raw.status, workflowId: raw.workflowId, waitTill: raw.waitTill, runData: data.resultData?.runData ?? {} };
}

/** The execution `id` once it ended. */
export async function endedExecution(rest: N8nRest, id: string, timeoutMs = 180_000): Promise<Execution> {
	return await waitUntil(`execution ${id} ends`, async () => {
		const execution = await readSaved(rest, id);
		return execution && ENDED.includes(execution.status) ? execution : undefined;
	}, timeoutMs);
}

/** Every execution of a workflow newer than `since` (ids only grow), oldest first, each once it ended. */
export async function executionsAfter(rest: N8nRest, workflowId: string, since: number): Promise<Execution[]> {
	const filter = encodeURIComponent(JSON.stringify({ workflowId }));
	const list = (await rest.request('GET', `/executions?filter=${filter}&limit=50`)) as { results: Array<{ id: string }> };
	const ids = list.results.map((entry) => Number(entry.id)).filter((id) => id > since).sort((a, b) => a - b);
	const executions: Execution[] = [];
	for (const id of ids) executions.push(await endedExecution(rest, String(id)));
	return executions;
}

/** The tasks (runs) of a node in an execution. */
export function tasksOf(execution: Execution, nodeName: string): TaskWithHints[] {
	return (execution.runData[nodeName] ?? []) as TaskWithHints[];
}

/** The items a node's run `run` sent to each of its outputs (json only), by output index. */
export function outputs(execution: Execution, nodeName: string, run = 0): Json[][] {
	const task = tasksOf(execution, nodeName)[run];
	if (!task) throw new Error(`execution ${execution.id} (${execution.status}) has no run ${run} of "${nodeName}"; it ran ${Object.keys(execution.runData).join(', ')}`);
	return (task.data?.main ?? []).map((items) => (items ?? []).map((item) => item.json));
}

/** The error a node's last run ended with (empty when none). */
export function lastError(execution: Execution, nodeName: string): { message?: string; description?: string } {
	const tasks = tasksOf(execution, nodeName);
	return tasks[tasks.length - 1]?.error ?? {};
}

// ---- the editor's REST calls ----

/** The workflow as n8n has it saved (with its versionId). */
export async function savedWorkflow(rest: N8nRest, id: string): Promise<Workflow & { versionId: string }> {
	return (await rest.request('GET', `/workflows/${id}`)) as Workflow & { versionId: string };
}

/** Saves changed nodes as the editor does (PATCH with the versionId it loaded); the saved workflow. */
export async function saveWorkflow(rest: N8nRest, id: string, change: (workflow: Workflow) => void): Promise<Workflow & { versionId: string }> {
	const current = await savedWorkflow(rest, id);
	change(current);
	const { nodes, connections, settings, name, versionId } = current;
	return (await rest.request('PATCH', `/workflows/${id}`, { name, nodes, connections, settings, versionId })) as Workflow & { versionId: string };
}

/**
 * POST /rest/workflows/:id/run as the editor sends it. The editor always sends `workflowData`;
 * 1.x runs that, 2.x drops it and runs the saved workflow (save first). Returns the execution id.
 */
async function runManually(rest: N8nRest, workflow: Workflow, payload: Json): Promise<string> {
	const answer = (await rest.request('POST', `/workflows/${workflow.id}/run`, { workflowData: workflow, ...payload })) as { executionId?: string; waitingForWebhook?: boolean };
	if (!answer.executionId) throw new Error(`n8n started no execution of ${workflow.id}: ${JSON.stringify(answer)}`);
	return answer.executionId;
}

/** The editor's "Execute workflow" from a Manual Trigger; the execution once it ended. */
export async function executeWorkflowButton(rest: N8nRest, workflow: Workflow, trigger: string): Promise<Execution> {
	const id = await runManually(rest, workflow, { startNodes: [], triggerToStartFrom: { name: trigger } });
	return await endedExecution(rest, id);
}

/**
 * The editor's "Execute step" on `destination` after an earlier run: the earlier run's data as the
 * editor holds it (every node's tasks, a failed node's error task included), the nodes changed
 * since (`dirtyNodeNames`), the start nodes the editor computes (the first parent without data or
 * whose run failed). The execution once it ended.
 */
export async function executeStepButton(
	rest: N8nRest,
	workflow: Workflow,
	destination: string,
	earlier: Execution,
	options: { dirtyNodeNames?: string[]; startNodes: string[] },
): Promise<Execution> {
	const startNodes = options.startNodes.map((name) => ({ name, sourceData: (earlier.runData[name]?.[0] as unknown as { source?: unknown[] } | undefined)?.source?.[0] ?? null }));
	const id = await runManually(rest, workflow, {
		runData: earlier.runData,
		startNodes,
		destinationNode: { nodeName: destination, mode: 'inclusive' },
		dirtyNodeNames: options.dirtyNodeNames?.length ? options.dirtyNodeNames : undefined,
	});
	return await endedExecution(rest, id);
}

/** Whether this line needs a sub-workflow published before a production parent can call it (2.x does). */
export const CHILDREN_NEED_PUBLISHING = N8N_LINE === '2x';
