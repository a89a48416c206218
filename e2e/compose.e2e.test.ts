/**
 * Our nodes inside what n8n builds around them, in real n8n (`n8n start`, SQLite, one instance for
 * the file) on the line E2E_N8N_LINE picks (2.x by default; 1.x too):
 * - a credential whose API Key is an expression, a key per item;
 * - a sub-workflow run again by the parent's Retry On Fail, and by retrying the parent's failed
 *   execution: still one create per prompt;
 * - a sub-workflow ending in Luma Wait with one output: the parent gets every item with its status;
 * - Loop Over Items around Luma Generate and Luma Wait (one output): the loop ends, Done gets all;
 * - Always Output Data on Luma Wait: n8n's empty item on Completed, and a hint saying so;
 * - the editor's "Execute step" after Luma Generate failed half-way: nothing paid twice.
 * Every assertion is what a user sees: the executions' outputs and statuses, and what the
 * (emulated) account was asked and billed for.
 */
import { LumaEmulator } from '../test/emulator/emulator';
import type { LoggedRequest } from '../test/emulator/emulator';
import {
	CHILDREN_NEED_PUBLISHING,
	Gate,
	executeStepButton,
	executeWorkflowButton,
	executeWorkflowNode,
	executionsAfter,
	httpPostNode,
	itemsNode,
	lastError,
	line,
	node,
	outputs,
	saveWorkflow,
	subWorkflowTrigger,
	tasksOf,
	to,
	webhookNode,
	workflow,
} from './lib/compose';
import type { Execution } from './lib/durable';
import { activate, postWebhook, retryExecution } from './lib/durable';
import type { Workflow, WorkflowNode } from './lib/examples';
import { CREDENTIAL_ID, CREDENTIAL_NAME, writeCredentialFile, writeWorkflowFile } from './lib/examples';
import type { N8nHome, N8nRest, RunningN8n } from './lib/runtime';
import { importFile, prepareHome, startLoggedIn } from './lib/runtime';
import { executionAfter, newestExecutionId } from './lib/webhook-runs';

type Json = Record<string, unknown>;

const KEY = 'e2e-key-compose-7b41';
/** The per-item keys: each its own account on the emulator (isolateAccounts). */
const K1 = 'K1';
const K2 = 'K2';
const PER_ITEM_CREDENTIAL = { id: 'apilaplasPerItem', name: 'Apilaplas API (key per item)' };
const BLACKLISTED = 'Contains blacklisted words';
/** Luma Wait's Max Wait in the sub-workflow of test 3: a `[slow]` generation (1000x longer) outlasts it. */
const SHORT_WAIT_SECONDS = 6;

let emulator: LumaEmulator;
let gate: Gate;
let home: N8nHome;
let n8n: RunningN8n;
let rest: N8nRest;
let flows: ReturnType<typeof buildWorkflows>;

const credentials = { apilaplasApi: { id: CREDENTIAL_ID, name: CREDENTIAL_NAME } };

function lumaGenerate(extra: Json = {}): WorkflowNode {
	return node('Luma Generate', 'n8n-nodes-apilaplas-luma.lumaGenerate', 2, { prompt: '={{ $json.prompt }}', options: { createsPerMinute: 600 } }, { credentials, ...extra });
}

function lumaWait(parameters: Json = {}, extra: Json = {}): WorkflowNode {
	return node('Luma Wait', 'n8n-nodes-apilaplas-luma.lumaWait', 1, parameters, { credentials, ...extra });
}

/** A Code node turning the webhook body's `items` into items. */
const itemsFromBody = () => node('Items', 'n8n-nodes-base.code', 2, { jsCode: 'return $input.first().json.body.items.map((json) => ({ json }));' });

/** A production webhook → the body's items → `rest` (in a line). */
function webhookFlow(id: string, name: string, nodes: WorkflowNode[], connections: Workflow['connections'] = {}): Workflow {
	const start = webhookNode('Webhook', `compose-${id.toLowerCase()}`);
	const items = itemsFromBody();
	return workflow(id, name, [start, items, ...nodes], { ...line('Webhook', 'Items', nodes[0].name), ...connections });
}

function buildWorkflows() {
	const perItemCredentials = { apilaplasApi: PER_ITEM_CREDENTIAL };
	const childGate = workflow(
		'ComposeChildGate',
		'Compose: child generates, waits, then calls a gate that fails on cue',
		[subWorkflowTrigger('Start'), lumaGenerate(), lumaWait(), httpPostNode('Gate', gate.url)],
		line('Start', 'Luma Generate', 'Luma Wait', 'Gate'),
	);
	const childSingle = workflow(
		'ComposeChildOne1',
		'Compose: child ends in Luma Wait with a single output',
		[subWorkflowTrigger('Start'), lumaGenerate(), lumaWait({ maxWaitSeconds: SHORT_WAIT_SECONDS, outputs: 'single' })],
		line('Start', 'Luma Generate', 'Luma Wait'),
	);
	const loop = node('Loop Over Items', 'n8n-nodes-base.splitInBatches', 3, { batchSize: 1, options: {} });
	return {
		perItemKey: webhookFlow('ComposeKeyPerItm', 'Compose: a key per item', [
			lumaGenerate({ credentials: perItemCredentials }),
			lumaWait({}, { credentials: perItemCredentials }),
		], line('Luma Generate', 'Luma Wait')),
		childGate,
		parentRetryOnFail: webhookFlow('ComposeParentTry', 'Compose: parent with Retry On Fail on Execute Workflow', [
			executeWorkflowNode('Run child', childGate.id, { retryOnFail: true, maxTries: 2, waitBetweenTries: 100 }),
		]),
		parentOnce: webhookFlow('ComposeParentOne', 'Compose: parent without Retry On Fail', [executeWorkflowNode('Run child', childGate.id)]),
		childSingle,
		parentSingle: webhookFlow('ComposeParentSgl', 'Compose: parent of a child ending in a single output', [executeWorkflowNode('Run child', childSingle.id)]),
		loop: webhookFlow('ComposeLoopItems', 'Compose: Loop Over Items around both nodes', [
			loop,
			lumaGenerate(),
			lumaWait({ outputs: 'single' }),
			node('Done', 'n8n-nodes-base.noOp', 1),
		], {
			'Loop Over Items': { main: [to('Done'), to('Luma Generate')] },
			...line('Luma Generate', 'Luma Wait', 'Loop Over Items'),
		}),
		alwaysOutput: webhookFlow('ComposeAlwaysOut', 'Compose: Always Output Data on Luma Wait', [
			lumaGenerate(),
			lumaWait({}, { alwaysOutputData: true }),
		], line('Luma Generate', 'Luma Wait')),
		editor: workflow(
			'ComposeEditorRun',
			'Compose: the editor runs it, then executes a step',
			[node('When clicking Execute workflow', 'n8n-nodes-base.manualTrigger', 1), itemsNode('Items', []), lumaGenerate(), lumaWait()],
			line('When clicking Execute workflow', 'Items', 'Luma Generate', 'Luma Wait'),
		),
	};
}

beforeAll(async () => {
	emulator = await new LumaEmulator({ keys: [KEY, K1, K2], isolateAccounts: true, holdMs: 1_000, queuedMs: 500, dreamingMs: 1_000 }).start();
	gate = await new Gate().start();
	flows = buildWorkflows();
	home = await prepareHome('e2e-compose', process.env.E2E_TARBALL!, 5780);
	const perItem = { ...PER_ITEM_CREDENTIAL, type: 'apilaplasApi', data: { apiKey: '={{ $json.apiKey }}', baseUrl: emulator.baseUrl } };
	await importFile(home, 'credentials', writeCredentialFile(KEY, emulator.baseUrl, [perItem]));
	await importFile(home, 'workflow', writeWorkflowFile('e2e-compose', Object.values(flows)));
	({ n8n, rest } = await startLoggedIn(home));
	const children = [flows.childGate, flows.childSingle];
	for (const flow of Object.values(flows)) {
		const hasWebhook = flow.nodes.some((entry) => entry.type === 'n8n-nodes-base.webhook');
		// 2.x runs a published sub-workflow for a production parent; 1.x runs the saved one.
		if (hasWebhook || (CHILDREN_NEED_PUBLISHING && children.includes(flow))) await activate(rest, flow.id);
	}
});

afterAll(async () => {
	await n8n?.stop();
	await gate?.stop();
	await emulator?.stop();
});

beforeEach(() => {
	emulator.resetCounters();
});

/** Starts a workflow from its production webhook with `items`; its execution once it ended. */
async function runWebhook(flow: Workflow, items: Json[]): Promise<Execution> {
	const since = await newestExecutionId(rest);
	await postWebhook(home, `compose-${flow.id.toLowerCase()}`, { items });
	return await executionAfter(rest, flow.id, since);
}

const prompts = (...texts: string[]) => texts.map((prompt) => ({ prompt }));
const billed = () => Object.fromEntries(emulator.createsByPrompt);
const oncePerPrompt = (texts: string[]) => Object.fromEntries(texts.map((text) => [text, 1]));
/** The generation the server made for a prompt (each test has its own prompts). */
const generationOf = (prompt: string) => {
	const made = [...emulator.generations.values()].filter((generation) => generation.request.prompt === prompt);
	expect(made).toHaveLength(1);
	return made[0];
};
/** The reads (one or many generations) whose URL names `id`. */
const readsOf = (id: string): LoggedRequest[] => emulator.log.filter((entry) => ['fetchOne', 'fetchMany'].includes(entry.endpoint) && entry.url.includes(id));
const createOf = (prompt: string) => emulator.log.filter((entry) => entry.endpoint === 'create' && (entry.body as { prompt?: string } | undefined)?.prompt === prompt);

test('1. a credential whose API Key is {{ $json.apiKey }}: each item is created and read with its own key, and completes', async () => {
	const execution = await runWebhook(flows.perItemKey, [
		{ prompt: 'a lake', apiKey: K1 },
		{ prompt: 'a fox', apiKey: K2 },
	]);
	expect(execution.status).toBe('success');

	for (const [prompt, key, other] of [['a lake', K1, K2], ['a fox', K2, K1]]) {
		const generation = generationOf(prompt);
		expect(generation.account).toBe(key);
		expect(createOf(prompt).map((entry) => entry.authorization)).toEqual([`Bearer ${key}`]);
		const reads = readsOf(generation.id);
		expect(reads.length).toBeGreaterThan(0);
		expect(reads.map((entry) => [entry.authorization, entry.status])).toEqual(reads.map(() => [`Bearer ${key}`, 200]));
		// Nothing about this item ever went out with the other item's key.
		expect(emulator.log.filter((entry) => entry.authorization === `Bearer ${other}` && entry.url.includes(generation.id))).toEqual([]);
	}
	expect(billed()).toEqual(oncePerPrompt(['a lake', 'a fox']));

	const [completed, failed, timedOut] = outputs(execution, 'Luma Wait');
	expect(completed.map((json) => [json.prompt, json.state, json.id])).toEqual([
		['a lake', 'completed', generationOf('a lake').id],
		['a fox', 'completed', generationOf('a fox').id],
	]);
	expect([failed, timedOut]).toEqual([[], []]);
});

describe('2. a sub-workflow run again by its parent', () => {
	const PROMPTS = ['A heron taking off [retry-on-fail]', 'Rain on a tin roof [retry-on-fail]'];

	test("the parent's Retry On Fail runs the child again after it failed past Luma Wait: one create per prompt, the second child reuses them", async () => {
		const since = await newestExecutionId(rest);
		gate.failNext(1);
		const parent = await runWebhook(flows.parentRetryOnFail, prompts(...PROMPTS));
		expect(parent.status).toBe('success');
		expect(gate.calls[0]).toBe(500);
		expect(billed()).toEqual(oncePerPrompt(PROMPTS));

		const children = await executionsAfter(rest, flows.childGate.id, since);
		expect(children.map((child) => child.status)).toEqual(['error', 'success']);
		expect(lastError(children[0], 'Gate').message).toBeDefined();
		const ids = PROMPTS.map((prompt) => generationOf(prompt).id);
		const [first] = outputs(children[0], 'Luma Generate');
		expect(first.map((json) => [json.prompt, json.id, json.reusedFromEarlierTry ?? false])).toEqual(PROMPTS.map((prompt, index) => [prompt, ids[index], false]));
		const [second] = outputs(children[1], 'Luma Generate');
		expect(second.map((json) => [json.prompt, json.id, json.reusedFromEarlierTry])).toEqual(PROMPTS.map((prompt, index) => [prompt, ids[index], true]));
		// The videos made the first time reach the end the second time.
		const [completed] = outputs(children[1], 'Luma Wait');
		expect(completed.map((json) => [json.id, json.state])).toEqual(ids.map((id) => [id, 'completed']));
	});

	describe('retrying the parent', () => {
		const RETRIED = ['A kite over dunes [retried parent]', 'Snow on a red bridge [retried parent]'];

		test("the parent's failed execution retried (Executions list → Retry): the child runs again without creating again", async () => {
			const since = await newestExecutionId(rest);
			gate.failNext(1);
			const failed = await runWebhook(flows.parentOnce, prompts(...RETRIED));
			expect(failed.status).toBe('error');
			expect(billed()).toEqual(oncePerPrompt(RETRIED));

			const retried = await retryExecution(rest, failed.id, false);
			expect(retried.status).toBe('success');
			expect(billed()).toEqual(oncePerPrompt(RETRIED));
			expect(emulator.count('create')).toBe(RETRIED.length);

			const children = await executionsAfter(rest, flows.childGate.id, since);
			expect(children.map((child) => child.status)).toEqual(['error', 'success']);
			const [second] = outputs(children[1], 'Luma Generate');
			expect(second.map((json) => [json.prompt, json.id, json.reusedFromEarlierTry])).toEqual(RETRIED.map((prompt) => [prompt, generationOf(prompt).id, true]));
		});
	});
});

test('3. a sub-workflow ending in Luma Wait with a single output: the parent gets every item, each with its status', async () => {
	const OK = 'A lighthouse at dusk [single]';
	const FAIL = 'A banned scene [fail] [single]';
	const SLOW = 'A glacier calving [slow] [single]';
	const parent = await runWebhook(flows.parentSingle, prompts(OK, FAIL, SLOW));
	expect(parent.status).toBe('success');
	expect(billed()).toEqual(oncePerPrompt([OK, FAIL, SLOW]));

	// What the node passes on: its output 0.
	const [returned] = outputs(parent, 'Run child');
	const byPrompt = Object.fromEntries(returned.map((json) => [json.prompt, json]));
	expect(Object.keys(byPrompt).sort()).toEqual([OK, FAIL, SLOW].sort());
	expect(byPrompt[OK]).toMatchObject({ status: 'completed', id: generationOf(OK).id });
	expect(byPrompt[FAIL]).toMatchObject({ status: 'failed', id: generationOf(FAIL).id });
	expect(String(byPrompt[FAIL].failureReason ?? byPrompt[FAIL].error)).toContain(BLACKLISTED);
	expect(byPrompt[SLOW]).toMatchObject({ status: 'timedOut', id: generationOf(SLOW).id });
});

test('4. Loop Over Items (batch size 1) around Luma Generate and Luma Wait (single output): every prompt made once, Done gets all three', async () => {
	const PROMPTS = ['A paper boat [loop]', 'A banned scene [fail] [loop]', 'A tram at night [loop]'];
	const execution = await runWebhook(flows.loop, prompts(...PROMPTS));
	expect(execution.status).toBe('success');
	expect(billed()).toEqual(oncePerPrompt(PROMPTS));
	expect(emulator.count('create')).toBe(3);

	expect(tasksOf(execution, 'Luma Generate')).toHaveLength(3);
	const done = tasksOf(execution, 'Done');
	expect(done).toHaveLength(1);
	const [items] = outputs(execution, 'Done');
	expect(items.map((json) => [json.prompt, json.status, json.id])).toEqual([
		[PROMPTS[0], 'completed', generationOf(PROMPTS[0]).id],
		[PROMPTS[1], 'failed', generationOf(PROMPTS[1]).id],
		[PROMPTS[2], 'completed', generationOf(PROMPTS[2]).id],
	]);
});

test("5. Always Output Data on Luma Wait when every item failed: n8n's empty item on Completed, a hint on the run, both items on Failed", async () => {
	const PROMPTS = ['A banned scene [fail] [always 1]', 'Another banned scene [fail] [always 2]'];
	const execution = await runWebhook(flows.alwaysOutput, prompts(...PROMPTS));
	expect(execution.status).toBe('success');

	const [completed, failed, timedOut] = outputs(execution, 'Luma Wait');
	expect(completed).toEqual([{}]);
	expect(failed.map((json) => [json.prompt, json.state, json.failureReason])).toEqual(PROMPTS.map((prompt) => [prompt, 'failed', BLACKLISTED]));
	expect(timedOut).toEqual([]);
	const hints = tasksOf(execution, 'Luma Wait')[0].hints ?? [];
	expect(hints.map((hint) => hint.message)).toEqual(expect.arrayContaining([expect.stringMatching(/Always Output Data/)]));
});

test('8. the editor: Luma Generate fails on item 3 after creating items 1-2; the prompt fixed, "Execute step" on Luma Wait creates only item 3', async () => {
	const GOOD = ['A windmill in fog [editor]', 'A cat on a piano [editor]'];
	const REFUSED = 'A scene the server refuses [editor]';
	const FIXED = 'A scene the server accepts [editor]';
	const setPrompts = (texts: string[]) => (flow: Workflow) => {
		const items = flow.nodes.find((entry) => entry.name === 'Items')!;
		items.parameters.jsCode = itemsNode('Items', prompts(...texts)).parameters.jsCode;
	};
	emulator.failNext('create', { kind: '400', forPrompt: REFUSED });

	const saved = await saveWorkflow(rest, flows.editor.id, setPrompts([...GOOD, REFUSED]));
	const first = await executeWorkflowButton(rest, saved, 'When clicking Execute workflow');
	expect(first.status).toBe('error');
	expect(lastError(first, 'Luma Generate').message).toMatch(/item 2.*HTTP 400/);
	expect(billed()).toEqual(oncePerPrompt(GOOD));

	// The user fixes the prompt (the editor saves it and marks Items changed), then Execute step on Luma Wait.
	const fixed = await saveWorkflow(rest, flows.editor.id, setPrompts([...GOOD, FIXED]));
	const step = await executeStepButton(rest, fixed, 'Luma Wait', first, { dirtyNodeNames: ['Items'], startNodes: ['Luma Generate'] });
	expect(step.id).not.toBe(first.id);
	expect(step.status).toBe('success');
	expect(billed()).toEqual(oncePerPrompt([...GOOD, FIXED]));

	const [generated] = outputs(step, 'Luma Generate');
	expect(generated.map((json) => [json.prompt, json.id, json.reusedFromEarlierTry ?? false])).toEqual([
		[GOOD[0], generationOf(GOOD[0]).id, true],
		[GOOD[1], generationOf(GOOD[1]).id, true],
		[FIXED, generationOf(FIXED).id, false],
	]);
	const [completed] = outputs(step, 'Luma Wait');
	expect(completed.map((json) => json.prompt)).toEqual([...GOOD, FIXED]);
});
