/**
 * Helpers for runs that outlive one n8n process: kill n8n hard, start it again on the same user
 * folder, and follow an execution through n8n's REST API (status, run data, retry), its
 * production webhooks and its log file.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import type { Workflow } from './examples';
import { webhookAuthHeaders } from './examples';
import type { N8nHome, RunningN8n } from './runtime';
import type { N8nRest } from './runtime';
import { RUNTIME_DIR, step, waitUntil } from './runtime';

/** n8n stores run data in the `flatted` format; the runtime ships the parser it uses. */
const flatted = createRequire(path.join(RUNTIME_DIR, 'package.json'))('flatted') as { parse: (text: string) => unknown };

/** The home's environment with n8n's log also written to <user folder>/.n8n/logs/n8n.log at level info. */
export function withFileLog(home: N8nHome): N8nHome {
	return { ...home, env: { ...home.env, N8N_LOG_OUTPUT: 'console,file', N8N_LOG_LEVEL: 'info' } };
}

function logFile(home: N8nHome): string {
	return path.join(home.folder, '.n8n', 'logs', 'n8n.log');
}

/** SIGKILL by PID, as an out-of-memory kill or a pulled plug: n8n gets no chance to clean up. */
export async function killHard(n8n: RunningN8n): Promise<void> {
	step(`n8n: SIGKILL to PID ${n8n.process.pid}`);
	await n8n.stop('SIGKILL');
}

/** Publishes a workflow so its production webhook listens. */
export async function activate(rest: N8nRest, workflowId: string): Promise<void> {
	const workflow = (await rest.request('GET', `/workflows/${workflowId}`)) as { versionId: string };
	await rest.request('POST', `/workflows/${workflowId}/activate`, { versionId: workflow.versionId });
}

/**
 * Calls a production webhook; a 404 (not registered yet: publishing takes a moment) is asked again.
 * Sends the examples' webhook key header (WEBHOOK_AUTH) unless `headers` says otherwise: a webhook
 * without authentication ignores it.
 */
export async function postWebhook(home: N8nHome, webhookPath: string, body: unknown, headers: Record<string, string> = webhookAuthHeaders()): Promise<void> {
	await waitUntil(`the webhook ${webhookPath} is registered`, async () => {
		const res = await fetch(`${home.url}/webhook/${webhookPath}`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json', ...headers },
			body: JSON.stringify(body),
		});
		if (res.status === 404) return undefined;
		if (!res.ok) throw new Error(`POST /webhook/${webhookPath} → ${res.status}: ${await res.text()}`);
		return true;
	}, 30_000);
}

export interface TaskItem {
	json: Record<string, unknown>;
}

export interface Task {
	startTime: number;
	executionTime: number;
	executionStatus?: string;
	data?: { main: Array<TaskItem[] | null> };
}

export interface Execution {
	id: string;
	status: string;
	workflowId: string;
	waitTill?: string | null;
	runData: Record<string, Task[]>;
}

/** One execution with its run data. */
export async function readExecution(rest: N8nRest, id: string): Promise<Execution> {
	const raw = (await rest.request('GET', `/executions/${id}`)) as Omit<Execution, 'runData'> & { data: string };
	const data = flatted.parse(raw.data) as { resultData?: { runData?: Record<string, Task[]> } };
	return { id: raw.id, status: raw.status, workflowId: raw.workflowId, waitTill: raw.waitTill, runData: data.resultData?.runData ?? {} };
}

/** The newest execution of a workflow, if it has one. */
async function latestExecutionId(rest: N8nRest, workflowId: string): Promise<string | undefined> {
	const filter = encodeURIComponent(JSON.stringify({ workflowId }));
	const list = (await rest.request('GET', `/executions?filter=${filter}&limit=1`)) as { results: Array<{ id: string }> };
	return list.results[0]?.id;
}

/** Retries a failed execution as the Executions list does (with the original or the saved workflow); the new execution. */
export async function retryExecution(rest: N8nRest, id: string, loadWorkflow: boolean): Promise<Execution> {
	const retried = (await rest.request('POST', `/executions/${id}/retry`, { loadWorkflow })) as { id: string };
	return await readExecution(rest, retried.id);
}

/** The execution of `workflowId` once its status is one of `statuses`. */
export async function executionReaching(rest: N8nRest, workflowId: string, statuses: string[], timeoutMs = 120_000): Promise<Execution> {
	return await waitUntil(`an execution of ${workflowId} is ${statuses.join(' or ')}`, async () => {
		const id = await latestExecutionId(rest, workflowId);
		if (!id) return undefined;
		const execution = await readExecution(rest, id);
		return statuses.includes(execution.status) ? execution : undefined;
	}, timeoutMs);
}

/** Every item a node sent to output `output`, over all its runs (a loop runs a node again). */
export function itemsOut(execution: Execution, nodeName: string, output = 0): TaskItem[] {
	return (execution.runData[nodeName] ?? []).flatMap((task) => task.data?.main[output] ?? []);
}

export interface LoggedCreate {
	id: string;
	item: number;
	executionId: string;
	node: string;
	run: number;
}

/** Luma Generate's "created generation" lines in n8n's log file (JSON lines: the text is in `message`). */
export function createsInLog(home: N8nHome): LoggedCreate[] {
	const file = logFile(home);
	if (!existsSync(file)) return [];
	const pattern = /^Luma Generate: created generation (\S+) for item (\d+) \(execution (\S+), node "([^"]*)", run (\d+)(?:, api \w+)?\)/;
	return readFileSync(file, 'utf8')
		.split('\n')
		.map((line) => pattern.exec(messageOf(line)))
		.filter((match) => match !== null)
		.map((m) => ({ id: m[1], item: Number(m[2]), executionId: m[3], node: m[4], run: Number(m[5]) }));
}

function messageOf(line: string): string {
	try {
		return String((JSON.parse(line) as { message?: unknown }).message ?? '');
	} catch {
		return line;
	}
}

/**
 * A copy of a workflow under its own id, with its own webhook path (n8n refuses two active
 * workflows on one path) and parameter overrides per node name.
 */
export function variant(base: Workflow, id: string, webhookPath: string, overrides: Record<string, Record<string, unknown>> = {}): Workflow {
	const workflow = JSON.parse(JSON.stringify(base)) as Workflow;
	workflow.id = id;
	workflow.name = `${base.name} [${id}]`;
	workflow.pinData = {};
	for (const node of workflow.nodes) {
		if (node.webhookId) node.webhookId = randomUUID();
		if (node.type === 'n8n-nodes-base.webhook') node.parameters.path = webhookPath;
	}
	for (const [name, parameters] of Object.entries(overrides)) {
		const node = workflow.nodes.find((candidate) => candidate.name === name);
		if (!node) throw new Error(`no node "${name}" in ${base.name}`);
		Object.assign(node.parameters, parameters);
	}
	return workflow;
}
