/**
 * n8n's node setting On Error, in n8n's real engine, for both nodes and a mix of good and bad
 * items: Stop Workflow stops; Continue keeps every item on the regular output(s); Continue
 * (using error output) sends exactly the items the node could not do its job for to the error
 * output. Behind every output a Set node reads `$('Items').item.json.sku`, so each item must
 * resolve its own item of the first node.
 */
import type { IConnections, INode, INodeExecutionData } from 'n8n-workflow';

import { LumaGenerate } from '../../nodes/LumaGenerate/LumaGenerate.node';
import { LumaWait } from '../../nodes/LumaWait/LumaWait.node';
import type { RunResult } from '../helpers/engine';
import { GENERATE_TYPE, items, node, runWorkflow, SET_FIELD_TYPE, TRIGGER_TYPE, WAIT_TYPE } from '../helpers/engine';
import { useEmulator } from '../helpers/emulator';

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
// Luma Generate: image to video, so one item can carry an invalid image URL.

const IMAGE = 'https://example.com/first-frame.jpg';
const GENERATE_INPUTS: Json[] = [
	{ sku: 'A', prompt: 'A lantern festival', image: IMAGE },
	{ sku: 'B', prompt: '', image: IMAGE },
	{ sku: 'C', prompt: 'A quiet library', image: 'not a url' },
	{ sku: 'D', prompt: 'A request the server refuses', image: IMAGE },
	{ sku: 'E', prompt: 'A key the server refuses', image: IMAGE },
	{ sku: 'F', prompt: 'An answer lost after billing', image: IMAGE },
	{ sku: 'G', prompt: 'A harbour at dawn', image: IMAGE },
];
const GENERATE_ERRORS: Record<string, RegExp> = {
	B: /^Prompt is empty \[item 1\]$/,
	C: /^Start Image URL "not a url" is not an http\(s\) URL \[item 2\]$/,
	D: /HTTP 400/,
	E: /HTTP 401/,
	F: /may have been created and billed/,
};
const GENERATE_PARAMETERS = {
	mode: 'imageToVideo',
	prompt: '={{ $json.prompt }}',
	startImageUrl: '={{ $json.image }}',
	options: { createsPerMinute: 600 },
};

function scriptGenerateFaults(): void {
	env.emulator.failNext(
		'create',
		{ kind: '400', forPrompt: 'A request the server refuses' },
		{ kind: '401', forPrompt: 'A key the server refuses' },
		{ kind: '502', afterAccept: true, forPrompt: 'An answer lost after billing' },
	);
}

function generate(onError: OnError, inputs = GENERATE_INPUTS, nodeExtra: Partial<INode> = {}) {
	return runBranches(GENERATE_TYPE, GENERATE_PARAMETERS, onError, inputs, ['success'], nodeExtra);
}

const promptsSent = () => env.emulator.log.filter((entry) => entry.endpoint === 'create').map((entry) => (entry.body as Json).prompt);
const promptsBilled = () => [...env.emulator.generations.values()].map((generation) => generation.request.prompt);

describe('Luma Generate', () => {
	test('Stop Workflow: a bad item stops the execution before anything is sent', async () => {
		scriptGenerateFaults();
		const result = await generate('stopWorkflow');
		expect(result.error?.message).toBe('Prompt is empty [item 1]');
		expect(env.emulator.log).toEqual([]);
		expect(result.outputs('success')).toEqual([]);
	});

	test('Stop Workflow: a create the server refuses stops the execution, naming what was already created', async () => {
		scriptGenerateFaults();
		const result = await generate('stopWorkflow', [GENERATE_INPUTS[0], GENERATE_INPUTS[3], GENERATE_INPUTS[6]]);
		expect(result.error?.message).toMatch(/^Creating the generation for item 1 failed.*HTTP 400/);
		expect(result.error?.description).toContain('Already created in this run (not lost, fetch them with Luma Wait): item 0: ');
		expect(promptsSent()).toEqual(['A lantern festival', 'A request the server refuses']);
	});

	test('Continue: every item stays on the output in input order, error items with the input fields and the error', async () => {
		scriptGenerateFaults();
		const result = await generate('continueRegularOutput');
		expectBranch(result, 'success', ['A', 'B', 'C', 'D', 'E', 'F', 'G']);
		const [out] = result.outputs('Node');
		expect(out.map((item) => item.pairedItem)).toEqual(GENERATE_INPUTS.map((_, item) => ({ item })));
		for (const [index, item] of out.entries()) {
			const expected = GENERATE_ERRORS[item.json.sku as string];
			if (expected) {
				expect(item.json).toEqual({ ...GENERATE_INPUTS[index], error: expect.stringMatching(expected), description: expect.any(String) });
			} else {
				expect(item.json).toMatchObject({ ...GENERATE_INPUTS[index], id: expect.any(String), state: 'queued' });
				expect(item.json).not.toHaveProperty('error');
			}
		}
		expect(promptsBilled().sort()).toEqual(['A harbour at dawn', 'A lantern festival', 'An answer lost after billing']);
	});

	test('Continue (using error output): the generations on the success output, every item it could not create on the error output', async () => {
		scriptGenerateFaults();
		const result = await generate('continueErrorOutput');
		expectBranch(result, 'success', ['A', 'G']);
		expectBranch(result, 'error', ['B', 'C', 'D', 'E', 'F']);

		const [success, errors] = result.outputs('Node');
		expect(success.map((item) => [item.json.sku, typeof item.json.id, item.pairedItem])).toEqual([
			['A', 'string', { item: 0 }],
			['G', 'string', { item: 6 }],
		]);
		// An error item is the input's fields (merged in by n8n) and the error, paired to its input.
		const errorsBySku = bySku(errors);
		for (const [index, input] of GENERATE_INPUTS.entries()) {
			const expected = GENERATE_ERRORS[input.sku as string];
			if (!expected) continue;
			expect(errorsBySku[input.sku as string]).toEqual({ ...input, error: expect.stringMatching(expected) });
			expect(errors.find((item) => item.json.sku === input.sku)?.pairedItem).toEqual({ item: index });
		}
		// What was sent and billed does not depend on the setting.
		expect(promptsSent()).toEqual(['A lantern festival', 'A request the server refuses', 'A key the server refuses', 'An answer lost after billing', 'A harbour at dawn']);
		expect(promptsBilled().sort()).toEqual(['A harbour at dawn', 'A lantern festival', 'An answer lost after billing']);
	});

	test.each(['continueErrorOutput', 'continueRegularOutput'] as const)(
		'%s: Max Creates per Execution refusing the run makes an error item of every item it holds back, not a result',
		async (onError) => {
			const inputs = [GENERATE_INPUTS[0], GENERATE_INPUTS[1], GENERATE_INPUTS[6]];
			const result = await runBranches(GENERATE_TYPE, { ...GENERATE_PARAMETERS, options: { maxCreatesPerRun: 1 } }, onError, inputs, ['success']);
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
// Luma Wait: Completed, Failed, Timed Out, and n8n's error output after them.

const WAIT_OUTPUTS = ['completed', 'failed', 'timedOut'];
const UNKNOWN = '11111111-2222-4333-8444-555555555555';

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
	const BAD_THEN_GOOD = [GENERATE_INPUTS[1], GENERATE_INPUTS[0]];

	afterEach(() => jest.restoreAllMocks());

	test('Continue (using error output): a run that succeeded for the good items is not run again', async () => {
		const runs = jest.spyOn(LumaGenerate.prototype, 'execute');
		const result = await generate('continueErrorOutput', BAD_THEN_GOOD, RETRY_ON_FAIL);
		expect(runs).toHaveBeenCalledTimes(1);
		expectBranch(result, 'success', ['A']);
		expectBranch(result, 'error', ['B']);
		expect(result.outputs('success')[0][0].json).not.toHaveProperty('reusedFromEarlierTry');
		expect(promptsSent()).toEqual(['A lantern festival']);
	});

	test('Continue (measured): n8n runs the node again for an error item first; nothing is paid twice', async () => {
		const runs = jest.spyOn(LumaGenerate.prototype, 'execute');
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
