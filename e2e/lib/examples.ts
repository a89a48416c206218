/**
 * The example workflows in examples/, as users import them, and their manual-trigger twins:
 * the same workflow started by a Manual Trigger, so `n8n execute` can run it headless.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { BinaryInfo, ExecutedRun } from './runtime';
import { ROOT, STATE_DIR } from './runtime';

export const EXAMPLES_DIR = path.join(ROOT, 'examples');
export const CREDENTIAL_ID = 'apilaplasDemo001';
export const CREDENTIAL_NAME = 'Apilaplas API';

export interface WorkflowNode {
	id: string;
	name: string;
	type: string;
	typeVersion: number;
	position: [number, number];
	parameters: Record<string, unknown>;
	[key: string]: unknown;
}

export interface Workflow {
	id: string;
	name: string;
	nodes: WorkflowNode[];
	connections: Record<string, { main: Array<Array<{ node: string; type: string; index: number }>> }>;
	pinData?: Record<string, Array<{ json: Record<string, unknown> }>>;
	[key: string]: unknown;
}

export function loadExample(file: string): Workflow {
	return JSON.parse(readFileSync(path.join(EXAMPLES_DIR, file), 'utf8')) as Workflow;
}

export function exampleFiles(): string[] {
	return readdirSync(EXAMPLES_DIR).filter((name) => name.endsWith('.json')).sort();
}

const TRIGGER_TYPES = ['n8n-nodes-base.formTrigger', 'n8n-nodes-base.scheduleTrigger', 'n8n-nodes-base.webhook', '@n8n/n8n-nodes-langchain.chatTrigger'];
/** Nodes that answer a form in a browser; in a headless twin they only show what reached them. */
const FORM_PAGE_TYPES = ['n8n-nodes-base.form'];

/**
 * The twin of a workflow: its trigger becomes a Code node of the same name that emits the
 * trigger's pinned sample data, started by a Manual Trigger; form pages become No-Ops of the
 * same name. Everything else, our nodes included, is the example as committed.
 */
export function manualTwin(workflow: Workflow): Workflow {
	const trigger = workflow.nodes.find((node) => TRIGGER_TYPES.includes(node.type));
	if (!trigger) return { ...workflow, id: twinId(workflow.id) };
	const sample = workflow.pinData?.[trigger.name] ?? [{ json: {} }];
	const nodes: WorkflowNode[] = workflow.nodes.map((node) => {
		if (node === trigger) {
			return {
				id: node.id,
				name: node.name,
				type: 'n8n-nodes-base.code',
				typeVersion: 2,
				position: node.position,
				parameters: { jsCode: `return ${JSON.stringify(sample.map((item) => ({ json: item.json })))};` },
			};
		}
		if (FORM_PAGE_TYPES.includes(node.type)) {
			return { id: node.id, name: node.name, type: 'n8n-nodes-base.noOp', typeVersion: 1, position: node.position, parameters: {} };
		}
		return node;
	});
	const start: WorkflowNode = {
		id: '00000000-0000-4000-8000-00000000beef',
		name: 'Manual start',
		type: 'n8n-nodes-base.manualTrigger',
		typeVersion: 1,
		position: [trigger.position[0] - 220, trigger.position[1]],
		parameters: {},
	};
	return {
		...workflow,
		id: twinId(workflow.id),
		name: `${workflow.name} (manual twin)`,
		nodes: [start, ...nodes],
		connections: { ...workflow.connections, [start.name]: { main: [[{ node: trigger.name, type: 'main', index: 0 }]] } },
		pinData: {},
	};
}

/** Workflow ids are 16 characters; a twin ends in "T". */
function twinId(id: string): string {
	return `${id.slice(0, 15)}T`;
}

export interface CredentialEntry {
	id: string;
	name: string;
	type: string;
	data: Record<string, string>;
}

/**
 * The Header Auth credential the examples' Webhook triggers require (examples/durable-wait.json):
 * its id and name as the examples reference it, the header and the secret the tests send.
 */
export const WEBHOOK_AUTH = { id: 'lumaWebhookAuth1', name: 'Luma webhook key', header: 'X-Webhook-Key', value: 'e2e-webhook-secret-not-a-secret' } as const;

/** The Header Auth credential of WEBHOOK_AUTH, as an import entry (writeCredentialFile adds it). */
export function webhookAuthCredential(): CredentialEntry {
	return { id: WEBHOOK_AUTH.id, name: WEBHOOK_AUTH.name, type: 'httpHeaderAuth', data: { name: WEBHOOK_AUTH.header, value: WEBHOOK_AUTH.value } };
}

/** The header a caller of the examples' webhooks sends. */
export function webhookAuthHeaders(): Record<string, string> {
	return { [WEBHOOK_AUTH.header]: WEBHOOK_AUTH.value };
}

/**
 * The credential every example uses, pointing at `baseUrl` with `apiKey`, the webhook examples'
 * Header Auth credential (WEBHOOK_AUTH), and any others, as an import file.
 */
export function writeCredentialFile(apiKey: string, baseUrl: string, others: CredentialEntry[] = []): string {
	mkdirSync(STATE_DIR, { recursive: true });
	const file = path.join(STATE_DIR, 'credential.json');
	const entries: CredentialEntry[] = [{ id: CREDENTIAL_ID, name: CREDENTIAL_NAME, type: 'apilaplasApi', data: { apiKey, baseUrl } }, webhookAuthCredential(), ...others];
	writeFileSync(file, JSON.stringify(entries), { mode: 0o600 });
	return file;
}

/** Writes workflows to one import file (n8n imports an array with --input). */
export function writeWorkflowFile(name: string, workflows: Workflow[]): string {
	mkdirSync(STATE_DIR, { recursive: true });
	const file = path.join(STATE_DIR, `${name}.json`);
	writeFileSync(file, JSON.stringify(workflows));
	return file;
}

export interface RoutedItem {
	output: 'Completed' | 'Failed' | 'Timed Out';
	json: Record<string, unknown>;
	binary?: Record<string, BinaryInfo>;
}

/** What a node sent to each of its outputs (Luma Wait's three, or one), from an executed run. */
export function nodeOutputs(run: ExecutedRun, nodeName: string): RoutedItem[] {
	const names = ['Completed', 'Failed', 'Timed Out'] as const;
	const task = run.data.resultData.runData[nodeName]?.[0];
	if (!task) {
		const error = run.data.resultData.error;
		throw new Error(`the run has no data for node "${nodeName}"${error ? `: ${error.message} ${error.description ?? ''}` : ''}`);
	}
	return (task.data?.main ?? []).flatMap((items, index) =>
		(items ?? []).map((item) => ({ output: names[index], json: item.json, binary: item.binary })),
	);
}
