/**
 * n8n's node setting On Error, in n8n's real engine, for both nodes and a mix of good and bad
 * items: Stop Workflow stops; Continue keeps every item on the regular output(s); Continue
 * (using error output) sends exactly the items the node could not do its job for to the error
 * output. Behind every output a Set node reads `$('Items').item.json.sku`, so each item must
 * resolve its own item of the first node. Luma Generate's items, the server's faults and where
 * each item lands are the table of `test/helpers/onErrorTable.ts`, which e2e/on-error.e2e.test.ts
 * runs in real n8n too.
 */
import type { IConnections, INode, INodeExecutionData } from 'n8n-workflow';

import { LumaGenerateV1 } from '../../nodes/LumaGenerate/v1/LumaGenerateV1';
import { LumaWait } from '../../nodes/LumaWait/LumaWait.node';
import type { RunResult } from '../helpers/engine';
import { GENERATE_TYPE, items, node, runWorkflow, SET_FIELD_TYPE, TRIGGER_TYPE, WAIT_TYPE } from '../helpers/engine';
import { useEmulator } from '../helpers/emulator';
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
	UNKNOWN_ID,
} from '../helpers/onErrorTable';

const env = useEmulator();

type OnError = NonNullable<INode['onError']>;
type Json = Record<string, unknown>;

/**
 * Items → the node under test (named "Node", with `onError`) → one Set node per output, each
 * writing `fromItems: {{ $('Items').item.json.sku }}`. `outputs` names the node's regular outputs;
 * with the error output, a Set node named "error" follows it too.
 */
function runBranches(
	type: string,
	parameters: INode['parameters'],
	onError: OnError,
	inputs: Json[],
	outputs: string[],
	nodeExtra: Partial<INode> = {},
): Promise<RunResult> {
	const branches = onError === 'continueErrorOutput' ? [...outputs, 'error'] : outputs;
	const connections: IConnections = {
		Items: { main: [[{ node: 'Node', type: 'main', index: 0 }]] },
		Node: { main: branches.map((branch) => [{ node: branch, type: 'main', index: 0 }]) },
	};
	return runWorkflow({
		nodes: [
			node('Items', TRIGGER_TYPE),
			{ ...node('Node', type, parameters), onError, ...nodeExtra },
			...branches.map((branch) => ({
				...node(branch, SET_FIELD_TYPE, { field: 'fromItems', value: "={{ $('Items').item.json.sku }}" }),
				credentials: undefined,
			})),
		],
		connections,
		items: items(...inputs),
		credentials: env.credentials,
	});
}

/** What reached the Set node after a branch: each item's own sku, and the sku its `$('Items').item` resolved to. */
function branch(result: RunResult, name: string): Array<[unknown, unknown]> {
	return (result.outputs(name)[0] ?? []).map((item) => [item.json.sku, item.json.fromItems]);
}

/** Each item of a branch resolved its own item of Items, and the branch holds exactly these skus. */
function expectBranch(result: RunResult, name: string, skus: string[]): void {
	expect(branch(result, name)).toEqual(skus.map((sku) => [sku, sku]));
}

const bySku = (out: INodeExecutionData[]) => Object.fromEntries(out.map((item) => [item.json.sku, item.json]));

// ---------------------------------------------------------------------------------------------
// Luma Generate: the On Error table shared with e2e/on-error.e2e.test.ts (test/helpers/onErrorTable.ts).

const GENERATE_INPUTS = ON_ERROR_ITEMS as Json[];
const item = onErrorItem;

function generate(onError: OnError, inputs = GENERATE_INPUTS, nodeExtra: Partial<INode> = {}) {
	return runBranches(GENERATE_TYPE, ON_ERROR_GENERATE_PARAMETERS, onError, inputs, ['success'], nodeExtra);
}

const promptsSent = () => env.emulator.log.filter((entry) => entry.endpoint === 'create').map((entry) => (entry.body as Json).prompt);
const promptsBilled = () => [...env.emulator.generations.values()].map((generation) => generation.request.prompt);
const BILLED_SORTED = ['A banned scene [fail]', 'A harbour at dawn', 'A lantern festival', 'A mountain pass', 'A video whose download breaks', 'An answer lost after billing'];

describe('Luma Generate', () => {
	test('Stop Workflow: a bad item stops the execution before anything is sent', async () => {
		scriptOnErrorFaults(env.emulator);
		const result = await generate('stopWorkflow');
		expect(result.error?.message).toBe('Prompt is empty [item 1]');
		expect(env.emulator.log).toEqual([]);
		expect(result.outputs('success')).toEqual([]);
	});

	test('Stop Workflow: a create the server refuses stops the execution, naming what was already created', async () => {
		scriptOnErrorFaults(env.emulator);
		const result = await generate('stopWorkflow', [item('A'), item('D'), item('H')]);
		expect(result.error?.message).toMatch(/^Creating the generation for item 1 failed.*HTTP 400/);
		expect(result.error?.description).toContain('Already created in this run (not lost, fetch them with Luma Wait): item 0: ');
		expect(promptsSent()).toEqual(['A lantern festival', 'A request the server refuses']);
	});

	test('Continue: every item stays on the output in input order, error items with the input fields and the error', async () => {
		scriptOnErrorFaults(env.emulator);
		const result = await generate('continueRegularOutput');
		expectBranch(result, 'success', ON_ERROR_EXPECTED.continueRegularOutput.generated);
		const [out] = result.outputs('Node');
		expect(out.map((entry) => entry.pairedItem)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((index) => ({ item: index })));
		for (const [index, entry] of out.entries()) {
			const sku = entry.json.sku as string;
			if (GENERATE_FAILS.includes(sku)) {
				expect(entry.json).toEqual({ ...GENERATE_INPUTS[index], error: expect.stringMatching(ON_ERROR_MESSAGES[sku]), description: expect.any(String) });
			} else {
				expect(entry.json).toMatchObject({ ...GENERATE_INPUTS[index], id: expect.any(String), state: 'queued' });
				expect(entry.json).not.toHaveProperty('error');
			}
		}
		expect(promptsBilled().sort()).toEqual(BILLED_SORTED);
	});

	test('Continue (using error output): the generations on the success output, every item it could not create on the error output', async () => {
		scriptOnErrorFaults(env.emulator);
		const result = await generate('continueErrorOutput');
		expectBranch(result, 'success', ON_ERROR_EXPECTED.continueErrorOutput.generated);
		expectBranch(result, 'error', ON_ERROR_EXPECTED.continueErrorOutput.generateError);

		const [success, errors] = result.outputs('Node');
		expect(success.map((entry) => [entry.json.sku, typeof entry.json.id, entry.pairedItem])).toEqual([
			['A', 'string', { item: 0 }],
			['F', 'string', { item: 6 }],
			['G', 'string', { item: 7 }],
			['H', 'string', { item: 8 }],
			['I', 'string', { item: 9 }],
		]);
		// An error item is the input's fields (merged in by n8n) and the error, paired to its input.
		expect(errors).toEqual(
			[['B', 1], ['C', 2], ['D', 3], ['E', 4], ['U', 5]].map(([sku, index]) => ({
				json: { ...item(sku as string), error: expect.stringMatching(ON_ERROR_MESSAGES[sku]) },
				pairedItem: { item: index },
			})),
		);
		// What was sent and billed does not depend on the setting.
		expect(promptsSent()).toEqual([
			'A lantern festival',
			'A request the server refuses',
			'A key the server refuses',
			'An answer lost after billing',
			'A banned scene [fail]',
			'A video whose download breaks',
			'A harbour at dawn',
			'A mountain pass',
		]);
		expect(promptsBilled().sort()).toEqual(BILLED_SORTED);
	});

	test.each(['continueErrorOutput', 'continueRegularOutput'] as const)(
		'%s: Max Creates per Execution refusing the run makes an error item of every item it holds back, not a result',
		async (onError) => {
			const inputs = [item('A'), item('B'), item('G')];
			const result = await runBranches(GENERATE_TYPE, { ...ON_ERROR_GENERATE_PARAMETERS, options: { maxCreatesPerRun: 1 } }, onError, inputs, ['success']);
			const refusal = 'This run would create 2 generations (1,000,000 tokens), more than Max Creates per Execution (1)';
			const out = result.outputs('Node');
			if (onError === 'continueErrorOutput') {
				expectBranch(result, 'success', []);
				expectBranch(result, 'error', ['A', 'B', 'G']);
				expect(out[1].map((item) => item.json.error)).toEqual([refusal, 'Prompt is empty [item 1]', refusal]);
			} else {
				expectBranch(result, 'success', ['A', 'B', 'G']);
				expect(out[0].map((item) => item.json.error)).toEqual([refusal, 'Prompt is empty [item 1]', refusal]);
				expect(out[0][0].json.description).toMatch(/raise Options → Max Creates per Execution to 2 or more/);
			}
			expect(env.emulator.log).toEqual([]);
		},
	);

	test('Continue (using error output) with Dry Run: the issue\'s three items, B on the error output', async () => {
		const inputs = [
			{ sku: 'A', prompt: 'A lantern festival' },
			{ sku: 'B', prompt: '' },
			{ sku: 'C', prompt: 'A quiet library' },
		];
		const result = await runBranches(GENERATE_TYPE, { prompt: '={{ $json.prompt }}', options: { dryRun: true } }, 'continueErrorOutput', inputs, ['success']);
		expectBranch(result, 'success', ['A', 'C']);
		expectBranch(result, 'error', ['B']);
		expect(result.outputs('Node')[1][0].json).toEqual({ sku: 'B', prompt: '', error: 'Prompt is empty [item 1]' });
		expect(env.emulator.log).toEqual([]);
	});
});

// ---------------------------------------------------------------------------------------------
// Luma Generate → Luma Wait, both on one setting: the workflow e2e/on-error.e2e.test.ts runs in real n8n.

const WAIT_BRANCHES = ['Completed', 'Failed', 'Timed Out', 'Wait error'];

/** Items → Luma Generate → Luma Wait, both on `onError`, a resolver (Set node) behind every output. */
function chainRun(onError: OnError): Promise<RunResult> {
	const withErrorOutput = onError === 'continueErrorOutput';
	const waitBranches = withErrorOutput ? WAIT_BRANCHES : WAIT_BRANCHES.slice(0, 3);
	const link = (name: string) => [{ node: name, type: 'main' as const, index: 0 }];
	const resolver = (name: string): INode => ({
		...node(name, SET_FIELD_TYPE, { field: 'fromItems', value: "={{ $('Items').item.json.sku }}" }),
		credentials: undefined,
	});
	return runWorkflow({
		nodes: [
			node('Items', TRIGGER_TYPE),
			{ ...node('Luma Generate', GENERATE_TYPE, ON_ERROR_GENERATE_PARAMETERS), onError },
			{ ...node('Luma Wait', WAIT_TYPE, ON_ERROR_WAIT_PARAMETERS), onError },
			...(withErrorOutput ? [resolver('Generate error')] : []),
			...waitBranches.map(resolver),
		],
		connections: {
			Items: { main: [link('Luma Generate')] },
			'Luma Generate': { main: [link('Luma Wait'), ...(withErrorOutput ? [link('Generate error')] : [])] },
			'Luma Wait': { main: waitBranches.map(link) },
		},
		items: items(...ON_ERROR_ITEMS),
		credentials: env.credentials,
	});
}

/** The skus that reached a resolver, each checked to resolve its own item of "Items". */
function skus(result: RunResult, name: string): string[] {
	return branch(result, name).map(([sku, fromItems]) => {
		expect(fromItems).toBe(sku);
		return String(sku);
	});
}

const billed = () => Object.fromEntries(env.emulator.createsByPrompt);

describe('Luma Generate → Luma Wait, the table e2e/on-error.e2e.test.ts runs in real n8n', () => {
	test('Continue: every item stays on the regular outputs; Luma Wait routes the items Luma Generate could not create to Failed with their reason', async () => {
		scriptOnErrorFaults(env.emulator);
		const result = await chainRun('continueRegularOutput');
		const expected = ON_ERROR_EXPECTED.continueRegularOutput;
		expect(result.error).toBeUndefined();
		expect(result.outputs('Luma Generate')[0].map((entry) => entry.json.sku)).toEqual(expected.generated);
		expect(skus(result, 'Completed')).toEqual(expected.completed);
		expect(skus(result, 'Failed').sort()).toEqual(expected.failedSorted);
		expect(skus(result, 'Timed Out')).toEqual(expected.timedOut);
		const [completed, failed] = result.outputs('Luma Wait');
		expect(completed.find((entry) => entry.json.sku === 'G')?.json).toMatchObject({ state: 'completed', downloadError: expect.stringMatching(/HTTP 404/) });
		for (const { json } of failed) {
			const sku = String(json.sku);
			expect(json).toMatchObject(onErrorItem(sku));
			if (sku === 'F') expect(json).toMatchObject({ state: 'failed', failureReason: 'Contains blacklisted words' });
			else expect(json.error).toMatch(ON_ERROR_MESSAGES[sku]);
		}
		expect(billed()).toEqual(ON_ERROR_BILLED);
	});

	test('Continue (using error output): exactly the items a node could not do its job for reach its error output; a failed generation stays on Failed', async () => {
		scriptOnErrorFaults(env.emulator);
		const result = await chainRun('continueErrorOutput');
		const expected = ON_ERROR_EXPECTED.continueErrorOutput;
		expect(result.error).toBeUndefined();
		expect(skus(result, 'Generate error')).toEqual(expected.generateError);
		expect(skus(result, 'Completed')).toEqual(expected.completed);
		expect(skus(result, 'Failed')).toEqual(expected.failed);
		expect(skus(result, 'Timed Out')).toEqual(expected.timedOut);
		expect(skus(result, 'Wait error')).toEqual(expected.waitError);
		const [success, generateErrors] = result.outputs('Luma Generate');
		expect(success.map((entry) => entry.json.sku)).toEqual(expected.generated);
		expect(generateErrors.map((entry) => entry.json)).toEqual(expected.generateError.map((sku) => ({ ...onErrorItem(sku), error: expect.stringMatching(ON_ERROR_MESSAGES[sku]) })));
		const waitErrors = result.outputs('Luma Wait')[3];
		for (const { json } of waitErrors) {
			const sku = String(json.sku);
			const input = success.find((entry) => entry.json.sku === sku)!.json;
			expect(json).toEqual({ ...input, error: expect.stringMatching(ON_ERROR_MESSAGES[sku]) });
		}
		expect(billed()).toEqual(ON_ERROR_BILLED);
	});
});

// ---------------------------------------------------------------------------------------------
// Luma Wait: Completed, Failed, Timed Out, and n8n's error output after them.

const WAIT_OUTPUTS = ['completed', 'failed', 'timedOut'];
const UNKNOWN = UNKNOWN_ID;

/** A completed, an invalid id, an unknown id, a failed generation, a failed download, a completed. */
function waitInputs(): Json[] {
	const ids = {
		A: env.emulator.seed('a calm lake', { queuedMs: 0, dreamingMs: 0 }),
		D: env.emulator.seed('a banned thing [fail]', { queuedMs: 0, dreamingMs: 0 }),
		E: env.emulator.seed('a broken asset', { queuedMs: 0, dreamingMs: 0 }),
		F: env.emulator.seed('a quiet harbour', { queuedMs: 0, dreamingMs: 0 }),
	};
	env.emulator.failNext('asset', '404');
	return [
		{ sku: 'A', id: ids.A },
		{ sku: 'B', id: 'not-a-generation-id' },
		{ sku: 'C', id: UNKNOWN },
		{ sku: 'D', id: ids.D },
		{ sku: 'E', id: ids.E, download: true },
		{ sku: 'F', id: ids.F },
	];
}

const WAIT_PARAMETERS = { downloadVideo: '={{ $json.download === true }}' };

function wait(onError: OnError, inputs: Json[]) {
	return runBranches(WAIT_TYPE, WAIT_PARAMETERS, onError, inputs, WAIT_OUTPUTS);
}

describe('Luma Wait', () => {
	test('Stop Workflow: an invalid id stops the execution before anything is asked', async () => {
		const inputs = waitInputs();
		const result = await wait('stopWorkflow', inputs);
		expect(result.error?.message).toBe('Generation ID "not-a-generation-id" is not a generation ID [item 1]');
		expect(env.emulator.log).toEqual([]);
	});

	test('Stop Workflow: an unknown id stops the execution; a failed download does too', async () => {
		const [a, , c, , e] = waitInputs();
		const unknown = await wait('stopWorkflow', [a, c]);
		expect(unknown.error?.message).toBe(`Fetching generation ${UNKNOWN} failed with HTTP 404: Generation ${UNKNOWN} not found`);
		const download = await wait('stopWorkflow', [a, e]);
		expect(download.error?.message).toMatch(new RegExp(`^Downloading the video for item 1 failed with HTTP 404.*\\(generation ${e.id} completed; video URL: `));
	});

	test('Continue: the unknown and invalid ids on Failed with the error, the failed download on Completed with downloadError', async () => {
		const inputs = waitInputs();
		const result = await wait('continueRegularOutput', inputs);
		expectBranch(result, 'completed', ['A', 'E', 'F']);
		expectBranch(result, 'failed', ['B', 'C', 'D']);
		expectBranch(result, 'timedOut', []);

		const [completed, failed] = result.outputs('Node');
		expect(bySku(completed).E).toMatchObject({ ...inputs[4], state: 'completed', downloadError: expect.stringMatching(/HTTP 404/) });
		expect(completed.find((item) => item.json.sku === 'E')?.binary).toBeUndefined();
		expect(bySku(failed)).toEqual({
			B: { ...inputs[1], error: 'Generation ID "not-a-generation-id" is not a generation ID [item 1]' },
			C: { ...inputs[2], error: `Fetching generation ${UNKNOWN} failed with HTTP 404: Generation ${UNKNOWN} not found` },
			D: expect.objectContaining({ ...inputs[3], state: 'failed', failureReason: 'Contains blacklisted words' }),
		});
		expect(failed.map((item) => item.pairedItem)).toEqual([{ item: 1 }, { item: 2 }, { item: 3 }]);
	});

	test('Continue (using error output): the failed generation stays on Failed; the invalid id, the unknown id and the failed download go to the error output', async () => {
		const inputs = waitInputs();
		const result = await wait('continueErrorOutput', inputs);
		expectBranch(result, 'completed', ['A', 'F']);
		expectBranch(result, 'failed', ['D']);
		expectBranch(result, 'timedOut', []);
		expectBranch(result, 'error', ['B', 'C', 'E']);

		const [completed, failed, timedOut, errors] = result.outputs('Node');
		expect(completed.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 5 }]);
		expect(failed).toEqual([
			expect.objectContaining({ json: expect.objectContaining({ ...inputs[3], state: 'failed', failureReason: 'Contains blacklisted words' }), pairedItem: { item: 3 } }),
		]);
		expect(timedOut).toEqual([]);
		// An error item is the input's fields (merged in by n8n) and the error, paired to its input.
		expect(errors).toEqual([
			{ json: { ...inputs[1], error: 'Generation ID "not-a-generation-id" is not a generation ID [item 1]' }, pairedItem: { item: 1 } },
			{ json: { ...inputs[2], error: `Fetching generation ${UNKNOWN} failed with HTTP 404: Generation ${UNKNOWN} not found` }, pairedItem: { item: 2 } },
			{
				json: { ...inputs[4], error: expect.stringMatching(new RegExp(`^Downloading the video for item 4 failed with HTTP 404.*\\(generation ${inputs[4].id} completed; video URL: http`)) },
				pairedItem: { item: 4 },
			},
		]);
	});

	test('Continue (using error output): a refused key sends every item to the error output', async () => {
		const [a, , , d] = waitInputs();
		const result = await runWorkflow({
			nodes: [
				node('Items', TRIGGER_TYPE),
				{ ...node('Node', WAIT_TYPE, {}), onError: 'continueErrorOutput' },
				{ ...node('error', SET_FIELD_TYPE, { field: 'fromItems', value: "={{ $('Items').item.json.sku }}" }), credentials: undefined },
			],
			connections: { Items: { main: [[{ node: 'Node', type: 'main', index: 0 }]] }, Node: { main: [[], [], [], [{ node: 'error', type: 'main', index: 0 }]] } },
			items: items(a, d),
			credentials: { ...env.credentials, apiKey: 'sk-not-a-key-the-server-knows' },
		});
		expectBranch(result, 'error', ['A', 'D']);
		expect(result.outputs('Node')[3].map((item) => item.json.error)).toEqual([expect.stringMatching(/HTTP 401/), expect.stringMatching(/HTTP 401/)]);
	});

	test('Continue (using error output): the error output is in input order, whatever the kind of error', async () => {
		const [a, b, c] = waitInputs();
		const result = await wait('continueErrorOutput', [c, a, b]);
		expectBranch(result, 'completed', ['A']);
		expectBranch(result, 'error', ['C', 'B']);
		expect(result.outputs('Node')[3].map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 2 }]);
	});

	test('Continue (using error output): an error item from Luma Generate keeps its reason on Luma Wait\'s error output', async () => {
		const result = await wait('continueErrorOutput', [{ sku: 'B', prompt: '', error: 'Prompt is empty [item 1]' }]);
		expect(result.outputs('Node')[3]).toEqual([{ json: { sku: 'B', prompt: '', error: 'Prompt is empty [item 1]' }, pairedItem: { item: 0 } }]);
		expectBranch(result, 'error', ['B']);
	});
});

describe('a setting of Luma Wait that cannot work (Max Wait 0)', () => {
	test.each(['continueRegularOutput', 'continueErrorOutput'] as const)('%s: every item is an error item, none passes as Completed, nothing is asked', async (onError) => {
		const inputs = [{ sku: 'A', id: UNKNOWN }, { sku: 'B', id: UNKNOWN }];
		const result = await runBranches(WAIT_TYPE, { maxWaitSeconds: 0 }, onError, inputs, WAIT_OUTPUTS);
		expectBranch(result, 'completed', []);
		expectBranch(result, onError === 'continueErrorOutput' ? 'error' : 'failed', ['A', 'B']);
		expect(String(result.outputs(onError === 'continueErrorOutput' ? 'error' : 'failed')[0][0].json.error)).toMatch(/Max Wait \(Seconds\) is 0 seconds/);
		expect(env.emulator.log).toEqual([]);
	});
});

describe('Retry On Fail with an error item first', () => {
	const RETRY_ON_FAIL: Partial<INode> = { retryOnFail: true, maxTries: 3, waitBetweenTries: 0 };
	const BAD_THEN_GOOD = [item('B'), item('A')];

	afterEach(() => jest.restoreAllMocks());

	test('Continue (using error output): a run that succeeded for the good items is not run again', async () => {
		const runs = jest.spyOn(LumaGenerateV1.prototype, 'execute');
		const result = await generate('continueErrorOutput', BAD_THEN_GOOD, RETRY_ON_FAIL);
		expect(runs).toHaveBeenCalledTimes(1);
		expectBranch(result, 'success', ['A']);
		expectBranch(result, 'error', ['B']);
		expect(result.outputs('success')[0][0].json).not.toHaveProperty('reusedFromEarlierTry');
		expect(promptsSent()).toEqual(['A lantern festival']);
	});

	test('Continue (measured): n8n runs the node again for an error item first; nothing is paid twice', async () => {
		const runs = jest.spyOn(LumaGenerateV1.prototype, 'execute');
		const result = await generate('continueRegularOutput', BAD_THEN_GOOD, RETRY_ON_FAIL);
		expect(runs).toHaveBeenCalledTimes(3);
		expectBranch(result, 'success', ['B', 'A']);
		expect(result.outputs('Node')[0][1].json).toMatchObject({ sku: 'A', reusedFromEarlierTry: true });
		expect(promptsSent()).toEqual(['A lantern festival']);
	});

	test('Luma Wait, Continue (using error output): an invalid id first does not run the wait again', async () => {
		const runs = jest.spyOn(LumaWait.prototype, 'execute');
		const id = env.emulator.seed('a calm lake');
		const result = await runBranches(WAIT_TYPE, {}, 'continueErrorOutput', [{ sku: 'B', id: 'nope' }, { sku: 'A', id }], WAIT_OUTPUTS, RETRY_ON_FAIL);
		expect(runs).toHaveBeenCalledTimes(1);
		expectBranch(result, 'completed', ['A']);
		expectBranch(result, 'error', ['B']);
	});
});
