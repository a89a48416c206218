/**
 * The spend ledger in real n8n, 2.x and 1.x (`n8n start`, SQLite): a failed execution retried through
 * the REST API, as the Executions list's Retry button does, and Retry On Fail. No prompt is
 * ever billed twice, and every paid id reaches the output or the error.
 */
import { randomUUID } from 'node:crypto';

import { LumaEmulator } from '../test/emulator/emulator';
import type { Execution } from './lib/durable';
import { activate, createsInLog, executionReaching, itemsOut, postWebhook, retryExecution, withFileLog } from './lib/durable';
import type { Workflow } from './lib/examples';
import { CREDENTIAL_ID, CREDENTIAL_NAME, writeCredentialFile, writeWorkflowFile } from './lib/examples';
import type { N8nHome, N8nRest, RunningN8n } from './lib/runtime';
import { importFile, prepareHome, startLoggedIn } from './lib/runtime';

const KEY = 'e2e-key-ledger-5d1e';
const PROMPTS = ['A lighthouse in a storm', 'A fox crossing a frozen lake', 'Lanterns rising over a river'];

let emulator: LumaEmulator;
let home: N8nHome;
let n8n: RunningN8n;
let rest: N8nRest;

/** Webhook (a list of prompts) → one item per prompt → Luma Generate. */
function workflow(id: string, path: string, generateSettings: Record<string, unknown> = {}): Workflow {
	return {
		id,
		name: `Spend ledger ${id}`,
		nodes: [
			{
				id: randomUUID(),
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: randomUUID(),
				parameters: { httpMethod: 'POST', path, responseMode: 'onReceived', options: {} },
			},
			{
				id: randomUUID(),
				name: 'Prompts',
				type: 'n8n-nodes-base.code',
				typeVersion: 2,
				position: [220, 0],
				parameters: { jsCode: 'return $input.first().json.body.prompts.map((prompt) => ({ json: { prompt } }));' },
			},
			{
				id: randomUUID(),
				name: 'Luma Generate',
				type: 'n8n-nodes-apilaplas-luma.lumaGenerate',
				typeVersion: 1,
				position: [440, 0],
				parameters: { prompt: '={{ $json.prompt }}', options: { createsPerMinute: 600 } },
				credentials: { apilaplasApi: { id: CREDENTIAL_ID, name: CREDENTIAL_NAME } },
				...generateSettings,
			},
		],
		connections: {
			Webhook: { main: [[{ node: 'Prompts', type: 'main', index: 0 }]] },
			Prompts: { main: [[{ node: 'Luma Generate', type: 'main', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
	};
}

const WORKFLOWS = {
	retried: workflow('LedgerRetried001', 'ledger-retried'),
	unknown: workflow('LedgerUnknown001', 'ledger-unknown'),
	retryOnFail: workflow('LedgerTries00001', 'ledger-tries', { retryOnFail: true, maxTries: 3, waitBetweenTries: 0 }),
};

beforeAll(async () => {
	emulator = await new LumaEmulator({ keys: [KEY], holdMs: 1_000, queuedMs: 500, dreamingMs: 1_000 }).start();
	home = withFileLog(await prepareHome('e2e-ledger', process.env.E2E_TARBALL!, 5700));
	await importFile(home, 'credentials', writeCredentialFile(KEY, emulator.baseUrl));
	await importFile(home, 'workflow', writeWorkflowFile('e2e-ledger', Object.values(WORKFLOWS)));
	({ n8n, rest } = await startLoggedIn(home));
	for (const { id } of Object.values(WORKFLOWS)) await activate(rest, id);
});

afterAll(async () => {
	await n8n?.stop();
	await emulator?.stop();
});

beforeEach(() => {
	emulator.resetCounters();
	emulator.configure({ credits: undefined });
});

/** Runs the workflow from its production webhook; resolves with the failed (or finished) execution. */
async function runFromWebhook(flow: Workflow, statuses = ['error', 'success']): Promise<Execution> {
	const path = flow.nodes.find((node) => node.type === 'n8n-nodes-base.webhook')!.parameters.path as string;
	await postWebhook(home, path, { prompts: PROMPTS });
	return await executionReaching(rest, flow.id, statuses);
}

/** The Executions list's Retry: "with the original workflow" (false) or "with the currently saved one" (true). */
const retry = (execution: Execution, loadWorkflow: boolean) => retryExecution(rest, execution.id, loadWorkflow);

/** The error n8n saved for the failed node's last run. */
function lastError(execution: Execution): { message?: string; description?: string } {
	const runs = execution.runData['Luma Generate'];
	return (runs[runs.length - 1] as unknown as { error?: { message?: string; description?: string } }).error ?? {};
}

/** The newest generation of a prompt (every test sends the same prompts). */
const idOf = (prompt: string) => [...emulator.generations.values()].filter((g) => g.request.prompt === prompt).pop()!.id;
const billed = () => Object.fromEntries(emulator.createsByPrompt);

test('a failed execution retried twice (once with each workflow choice): every prompt billed once, the final output holds each id', async () => {
	// The account runs dry after one create, and is topped up between the retries.
	emulator.configure({ credits: 1 });
	const failed = await runFromWebhook(WORKFLOWS.retried);
	expect(failed.status).toBe('error');
	expect(lastError(failed).message).toBe('Creating the generation for item 1 failed with HTTP 403: Insufficient credits: top up your balance');
	expect(billed()).toEqual({ [PROMPTS[0]]: 1 });

	emulator.configure({ credits: 2 });
	const first = await retry(failed, false);
	expect(first.status).toBe('error');
	expect(lastError(first).message).toBe('Creating the generation for item 2 failed with HTTP 403: Insufficient credits: top up your balance');
	expect(billed()).toEqual({ [PROMPTS[0]]: 1, [PROMPTS[1]]: 1 });

	// Retried again from the same failed execution, whose saved data knows only the first prompt.
	emulator.configure({ credits: 100 });
	const second = await retry(failed, true);
	expect(second.status).toBe('success');
	const out = itemsOut(second, 'Luma Generate');
	expect(out.map((item) => [item.json.prompt, item.json.id, item.json.reusedFromEarlierTry ?? false])).toEqual([
		[PROMPTS[0], idOf(PROMPTS[0]), true],
		[PROMPTS[1], idOf(PROMPTS[1]), true],
		[PROMPTS[2], idOf(PROMPTS[2]), false],
	]);
	expect(billed()).toEqual(Object.fromEntries(PROMPTS.map((prompt) => [prompt, 1])));
	// Each paid id is in n8n's log once, with its item and the execution that created it.
	const logged = createsInLog(home).filter((line) => [failed.id, first.id, second.id].includes(line.executionId));
	expect(logged.map((line) => [line.item, line.id, line.executionId])).toEqual([
		[0, idOf(PROMPTS[0]), failed.id],
		[1, idOf(PROMPTS[1]), first.id],
		[2, idOf(PROMPTS[2]), second.id],
	]);
});

test('a create billed but answered 502: retries never send it again, name it, and report every paid id', async () => {
	emulator.failNext('create', { kind: '502', afterAccept: true, forPrompt: PROMPTS[1] });
	const failed = await runFromWebhook(WORKFLOWS.unknown);
	expect(lastError(failed).message).toMatch(/^Creating the generation for item 1 failed after it may have reached the server \(HTTP 502/);

	for (const loadWorkflow of [false, true]) {
		const retried = await retry(failed, loadWorkflow);
		expect(retried.status).toBe('error');
		const error = lastError(retried);
		expect(error.message).toBe(
			'Item 1 was sent in an earlier try with an unknown outcome: a generation may already exist and be billed (500,000 tokens each)',
		);
		expect(error.description).toContain(
			`Already created in this run (not lost, fetch them with Luma Wait): item 0: ${idOf(PROMPTS[0])}, item 2: ${idOf(PROMPTS[2])}.`,
		);
	}
	expect(billed()).toEqual(Object.fromEntries(PROMPTS.map((prompt) => [prompt, 1])));
	expect(emulator.count('create')).toBe(3);
});

test('Retry On Fail (3 tries): one create per prompt, the unknown item named, the others created', async () => {
	emulator.failNext('create', { kind: '502', afterAccept: true, forPrompt: PROMPTS[1] });
	const execution = await runFromWebhook(WORKFLOWS.retryOnFail);
	expect(execution.status).toBe('error');
	expect(lastError(execution).message).toMatch(/^Item 1 was sent in an earlier try with an unknown outcome/);
	expect(lastError(execution).description).toContain(`item 0: ${idOf(PROMPTS[0])}, item 2: ${idOf(PROMPTS[2])}`);
	expect(billed()).toEqual(Object.fromEntries(PROMPTS.map((prompt) => [prompt, 1])));
	expect(emulator.count('create')).toBe(3);
});
