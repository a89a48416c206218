/**
 * Running saved workflows inside a running n8n (`n8n start`), without a browser: each example's
 * manual twin (e2e/lib/examples.ts) started by a production webhook instead of a Manual Trigger,
 * its execution found through the REST API once it ended, and what it did summed up so two runs
 * (before and after an upgrade) can be compared.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';

import type { Execution } from './durable';
import { postWebhook, readExecution } from './durable';
import type { Workflow } from './examples';
import { manualTwin } from './examples';
import type { BinaryInfo, ExecutedRun, N8nHome, N8nRest } from './runtime';
import { RUNTIME_DIR, waitUntil } from './runtime';

/** n8n stores run data in the `flatted` format; the runtime ships the parser it uses. */
const flatted = createRequire(path.join(RUNTIME_DIR, 'package.json'))('flatted') as { parse: (text: string) => unknown };

/** A UUID made from a text, so a twin's webhook id is the same in every run. */
function stableUuid(text: string): string {
	const hex = createHash('sha256').update(text).digest('hex');
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The webhook path a twin listens on. */
export function twinPath(twin: Workflow): string {
	return `twin-${twin.id.toLowerCase()}`;
}

/**
 * The manual twin of a workflow with its Manual Trigger swapped for a production Webhook of the
 * same name (POST, answered at once), under its own id ending in "W". Publish it, then
 * `runTwin` starts it.
 */
export function webhookTwin(workflow: Workflow): Workflow {
	const twin = manualTwin(workflow);
	const id = `${workflow.id.slice(0, 15)}W`;
	const start = twin.nodes.find((node) => node.type === 'n8n-nodes-base.manualTrigger');
	if (!start) throw new Error(`${workflow.name}: its twin has no Manual Trigger to replace`);
	const webhook = {
		id: start.id,
		name: start.name,
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		position: start.position,
		webhookId: stableUuid(id),
		parameters: { httpMethod: 'POST', path: `twin-${id.toLowerCase()}`, responseMode: 'onReceived', options: {} },
	};
	return {
		...twin,
		id,
		name: `${workflow.name} (webhook twin)`,
		nodes: twin.nodes.map((node) => (node === start ? webhook : node)),
		pinData: {},
	};
}

/** The newest execution id n8n has, of any workflow (0: none yet); ids only grow. */
export async function newestExecutionId(rest: N8nRest): Promise<number> {
	const list = (await rest.request('GET', '/executions?limit=1')) as { results: Array<{ id: string }> };
	return Number(list.results[0]?.id ?? 0);
}

const ENDED = ['success', 'error', 'crashed', 'canceled'];

/** Starts a twin through its production webhook (with `body`, default none). */
export async function runTwin(home: N8nHome, twin: Workflow, body: unknown = {}): Promise<void> {
	await postWebhook(home, twinPath(twin), body);
}

/** The workflow's first execution newer than `since` (see newestExecutionId), once it ended. */
export async function executionAfter(rest: N8nRest, workflowId: string, since: number, timeoutMs = 180_000): Promise<Execution> {
	const filter = encodeURIComponent(JSON.stringify({ workflowId }));
	return await waitUntil(`an execution of ${workflowId} after #${since} ends`, async () => {
		const list = (await rest.request('GET', `/executions?filter=${filter}&limit=20`)) as { results: Array<{ id: string; status: string }> };
		const newer = list.results.filter((entry) => Number(entry.id) > since).sort((a, b) => Number(a.id) - Number(b.id))[0];
		if (!newer || !ENDED.includes(newer.status)) return undefined;
		return await readExecution(rest, newer.id);
	}, timeoutMs);
}

/**
 * A saved execution's whole run (IRun's `data`: run data and the run's error, if any), in the shape
 * `n8n execute --rawOutput` prints (see ExecutedRun), from GET /rest/executions/:id.
 */
export async function readRun(rest: N8nRest, id: string): Promise<ExecutedRun> {
	const raw = (await rest.request('GET', `/executions/${id}`)) as { data: string };
	const data = flatted.parse(raw.data) as { resultData?: Partial<ExecutedRun['data']['resultData']> };
	return { data: { resultData: { runData: data.resultData?.runData ?? {}, error: data.resultData?.error } } };
}

/** An item as the execution saved it (readExecution types only `json`). */
interface SavedItem {
	json: Record<string, unknown>;
	binary?: Record<string, BinaryInfo>;
}

/** What one run of a workflow did, in terms that do not change from run to run. */
export interface RunSummary {
	status: string;
	/** Per node: per run, per connection type (main, ai_tool…), the number of items on each output (the routing). */
	routes: Record<string, Array<Record<string, number[]>>>;
	/** Per node of ours: per run, per connection type, per output, its items masked. */
	items: Record<string, Array<Record<string, Array<Array<Record<string, unknown>>>>>>;
}

type TaskData = Record<string, Array<SavedItem[] | null>>;

/**
 * The run's routing, and the items the nodes `ours` picks (by node type) sent, passed through
 * `mask` (for generation ids and times). Binary data is summed up as its property, MIME type and
 * file name.
 */
export function summarize(execution: Execution, nodeTypes: Record<string, string>, ours: (type: string) => boolean, mask: (value: unknown) => unknown): RunSummary {
	const routes: RunSummary['routes'] = {};
	const items: RunSummary['items'] = {};
	const perType = <T>(task: { data?: unknown }, map: (outputs: Array<SavedItem[] | null>) => T): Record<string, T> =>
		Object.fromEntries(Object.entries((task.data ?? {}) as TaskData).map(([type, outputs]) => [type, map(outputs)]));
	for (const name of Object.keys(execution.runData).sort()) {
		const runs = execution.runData[name];
		routes[name] = runs.map((task) => perType(task, (outputs) => outputs.map((output) => output?.length ?? 0)));
		if (!ours(nodeTypes[name] ?? '')) continue;
		items[name] = runs.map((task) =>
			perType(task, (outputs) =>
				outputs.map((output) =>
					(output ?? []).map((item) => {
						const json = mask(item.json) as Record<string, unknown>;
						if (!item.binary) return json;
						const binary = Object.fromEntries(Object.entries(item.binary).map(([key, info]) => [key, mask({ mimeType: info.mimeType, fileName: info.fileName })]));
						return { ...json, '(binary)': binary };
					}),
				),
			),
		);
	}
	return { status: execution.status, routes, items };
}
