/**
 * n8n's node setting On Error in real n8n (`n8n execute`), on the line E2E_N8N_LINE picks (2.x by
 * default; 1.x too): Items → Luma Generate → Luma Wait, both nodes on the same setting, good and
 * bad items, and behind every output a Set node (n8n's Edit Fields) reading
 * `$('Items').item.json.sku`. Each branch must hold exactly its items, each resolving its own item.
 * The items, the faults and where each item lands are the table of `test/helpers/onErrorTable.ts`,
 * which the engine tests (`test/workflows/onError.test.ts`) run too.
 */
import { randomUUID } from 'node:crypto';

import { LumaEmulator } from '../test/emulator/emulator';
import {
	GENERATE_FAILS,
	ON_ERROR_BILLED,
	ON_ERROR_EXPECTED,
	ON_ERROR_GENERATE_PARAMETERS,
	ON_ERROR_ITEMS,
	ON_ERROR_MESSAGES,
	ON_ERROR_WAIT_PARAMETERS,
	onErrorItem,
	scriptOnErrorFaults,
} from '../test/helpers/onErrorTable';
import type { Workflow, WorkflowNode } from './lib/examples';
import { CREDENTIAL_ID, CREDENTIAL_NAME, nodeOutputs, writeCredentialFile, writeWorkflowFile } from './lib/examples';
import type { ExecutedRun, N8nHome } from './lib/runtime';
import { executeWorkflow, importFile, prepareHome } from './lib/runtime';

const KEY = 'e2e-key-on-error-8c2d';

type Json = Record<string, unknown>;
type OnError = 'stopWorkflow' | 'continueRegularOutput' | 'continueErrorOutput';

const ITEMS = ON_ERROR_ITEMS as Json[];
const ERRORS = ON_ERROR_MESSAGES;

let emulator: LumaEmulator;
let home: N8nHome;

const credentials = { apilaplasApi: { id: CREDENTIAL_ID, name: CREDENTIAL_NAME } };

function n8nNode(name: string, type: string, typeVersion: number, parameters: Json, extra: Json = {}): WorkflowNode {
	return { id: randomUUID(), name, type, typeVersion, position: [0, 0], parameters, ...extra };
}

/** n8n's Edit Fields (Set) keeping the item, adding `fromItems`: which item of "Items" this item resolves to. */
function resolver(name: string): WorkflowNode {
	return n8nNode(name, 'n8n-nodes-base.set', 3.4, {
		assignments: { assignments: [{ id: randomUUID(), name: 'fromItems', value: "={{ $('Items').item.json.sku }}", type: 'string' }] },
		includeOtherFields: true,
		options: {},
	});
}

const GENERATE_BRANCHES = ['Generate error'];
const WAIT_BRANCHES = ['Completed', 'Failed', 'Timed Out', 'Wait error'];

/** Manual start → Items → Luma Generate → Luma Wait, both on `onError`, a resolver behind every output. */
function workflow(id: string, onError: OnError, items: Json[]): Workflow {
	const withErrorOutput = onError === 'continueErrorOutput';
	const waitBranches = withErrorOutput ? WAIT_BRANCHES : WAIT_BRANCHES.slice(0, 3);
	const link = (node: string) => [{ node, type: 'main', index: 0 }];
	return {
		id,
		name: `On Error: ${onError}`,
		nodes: [
			n8nNode('Manual start', 'n8n-nodes-base.manualTrigger', 1, {}),
			n8nNode('Items', 'n8n-nodes-base.code', 2, { jsCode: `return ${JSON.stringify(items.map((json) => ({ json })))};` }),
			n8nNode(
				'Luma Generate',
				'n8n-nodes-apilaplas-luma.lumaGenerate',
				1,
				ON_ERROR_GENERATE_PARAMETERS,
				{ credentials, onError },
			),
			n8nNode(
				'Luma Wait',
				'n8n-nodes-apilaplas-luma.lumaWait',
				1,
				ON_ERROR_WAIT_PARAMETERS,
				{ credentials, onError },
			),
			...(withErrorOutput ? GENERATE_BRANCHES : []).map(resolver),
			...waitBranches.map(resolver),
		],
		connections: {
			'Manual start': { main: [link('Items')] },
			Items: { main: [link('Luma Generate')] },
			'Luma Generate': { main: [link('Luma Wait'), ...(withErrorOutput ? [link('Generate error')] : [])] },
			'Luma Wait': { main: waitBranches.map(link) },
		},
		settings: { executionOrder: 'v1' },
		pinData: {},
	};
}

const WORKFLOWS = {
	stopAtGenerate: workflow('LumaOnErrorStopG', 'stopWorkflow', ITEMS),
	stopAtWait: workflow('LumaOnErrorStopW', 'stopWorkflow', [onErrorItem('A'), onErrorItem('H')]),
	continue: workflow('LumaOnErrorContR', 'continueRegularOutput', ITEMS),
	errorOutput: workflow('LumaOnErrorContE', 'continueErrorOutput', ITEMS),
};

beforeAll(async () => {
	emulator = await new LumaEmulator({ keys: [KEY], holdMs: 2_000, queuedMs: 500, dreamingMs: 1_000 }).start();
	home = await prepareHome('e2e-on-error', process.env.E2E_TARBALL!, 5750);
	await importFile(home, 'credentials', writeCredentialFile(KEY, emulator.baseUrl));
	await importFile(home, 'workflow', writeWorkflowFile('e2e-on-error', Object.values(WORKFLOWS)));
});

afterAll(async () => {
	await emulator?.stop();
});

beforeEach(() => {
	emulator.resetCounters();
	scriptOnErrorFaults(emulator);
});

/** The items a node sent to each of its outputs, by output index. */
function outputsOf(run: ExecutedRun, node: string): Json[][] {
	const main = run.data.resultData.runData[node]?.[0]?.data?.main ?? [];
	return main.map((items) => (items ?? []).map((item) => item.json));
}

/** The skus that reached a resolver, each checked to resolve its own item of "Items". */
function branch(run: ExecutedRun, name: string): string[] {
	if (!run.data.resultData.runData[name]) return [];
	return nodeOutputs(run, name).map(({ json }) => {
		expect({ sku: json.sku, fromItems: json.fromItems }).toEqual({ sku: json.sku, fromItems: json.sku });
		return String(json.sku);
	});
}

const itemOf = onErrorItem;
/** The creates the server accepted (and billed) in this test, by prompt. */
const billed = () => Object.fromEntries(emulator.createsByPrompt);

test('Stop Workflow: a bad item stops the execution at Luma Generate before anything is sent', async () => {
	const run = await executeWorkflow(home, WORKFLOWS.stopAtGenerate.id);
	expect(run.data.resultData.error?.message).toBe('Prompt is empty [item 1]');
	expect(emulator.log).toEqual([]);
	expect(run.data.resultData.runData['Luma Wait']).toBeUndefined();
});

test('Stop Workflow: an unknown id stops the execution at Luma Wait', async () => {
	const run = await executeWorkflow(home, WORKFLOWS.stopAtWait.id);
	expect(run.data.resultData.error?.message).toMatch(ERRORS.H);
	expect(['Completed', 'Failed', 'Timed Out'].flatMap((name) => branch(run, name))).toEqual([]);
});

test('Continue: every item stays on the regular outputs; Luma Wait routes the items Luma Generate could not create to Failed with their reason', async () => {
	const run = await executeWorkflow(home, WORKFLOWS.continue.id);
	expect(run.data.resultData.error).toBeUndefined();

	const [generated] = outputsOf(run, 'Luma Generate');
	const expected = ON_ERROR_EXPECTED.continueRegularOutput;
	expect(generated.map((json) => json.sku)).toEqual(expected.generated);
	for (const json of generated) {
		const sku = String(json.sku);
		if (GENERATE_FAILS.includes(sku)) expect(json).toEqual({ ...itemOf(sku), error: expect.stringMatching(ERRORS[sku]), description: expect.any(String) });
		else expect(json).toMatchObject({ ...itemOf(sku), id: expect.any(String) });
	}

	expect(branch(run, 'Completed')).toEqual(expected.completed);
	expect(branch(run, 'Failed').sort()).toEqual(expected.failedSorted);
	expect(branch(run, 'Timed Out')).toEqual(expected.timedOut);
	const [completed, failed] = outputsOf(run, 'Luma Wait');
	expect(completed.find((json) => json.sku === 'G')).toMatchObject({ state: 'completed', downloadError: expect.stringMatching(/HTTP 404/) });
	for (const json of failed) {
		const sku = String(json.sku);
		expect(json).toMatchObject(itemOf(sku));
		if (sku === 'F') expect(json).toMatchObject({ state: 'failed', failureReason: 'Contains blacklisted words' });
		else expect(json.error).toMatch(ERRORS[sku]);
	}
	expect(billed()).toEqual(ON_ERROR_BILLED);
});

test('Continue (using error output): exactly the items a node could not do its job for reach its error output; a failed generation stays on Failed', async () => {
	const run = await executeWorkflow(home, WORKFLOWS.errorOutput.id);
	expect(run.data.resultData.error).toBeUndefined();

	const expected = ON_ERROR_EXPECTED.continueErrorOutput;
	expect(branch(run, 'Generate error')).toEqual(expected.generateError);
	expect(branch(run, 'Completed')).toEqual(expected.completed);
	expect(branch(run, 'Failed')).toEqual(expected.failed);
	expect(branch(run, 'Timed Out')).toEqual(expected.timedOut);
	expect(branch(run, 'Wait error')).toEqual(expected.waitError);

	// An error item: the input's fields (n8n merges them in) and the error, nothing else.
	const [success, generateErrors] = outputsOf(run, 'Luma Generate');
	expect(success.map((json) => json.sku)).toEqual(expected.generated);
	expect(generateErrors).toEqual(expected.generateError.map((sku) => ({ ...itemOf(sku), error: expect.stringMatching(ERRORS[sku]) })));
	const [, failed, , waitErrors] = outputsOf(run, 'Luma Wait');
	expect(failed).toEqual([expect.objectContaining({ sku: 'F', state: 'failed', failureReason: 'Contains blacklisted words' })]);
	for (const json of waitErrors) {
		const sku = String(json.sku);
		const input = success.find((item) => item.sku === sku)!;
		expect(json).toEqual({ ...input, error: expect.stringMatching(ERRORS[sku]) });
	}
	expect(billed()).toEqual(ON_ERROR_BILLED);
});
