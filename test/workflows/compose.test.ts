/**
 * Composition, in n8n's real engine against the emulator, as a user would notice it: each item's
 * requests on its own account (a credential field that is an expression), the spend memory that
 * hands an earlier execution's undelivered generation to the next execution of the same work,
 * Luma Wait's Single Output, its Always Output Data hint, and one Max Wait for all tool calls of
 * one execution.
 */
import type { INode, INodeExecutionData, RelatedExecution, WorkflowExecuteMode } from 'n8n-workflow';

import { timing } from '../../nodes/shared/timing';
import type { RunResult } from '../helpers/engine';
import { chain, FAIL_TYPE, GENERATE_TYPE, items, logLines, node, REPEAT_TYPE, runWorkflow, TRIGGER_TYPE, WAIT_TOOL_TYPE, WAIT_TYPE } from '../helpers/engine';
import { emulatorServes, useEmulator } from '../helpers/emulator';
import { until, withClockJump } from '../helpers/events';

const env = useEmulator();
/** Longer than any test runs (ms), and than the clock jumps ahead. */
const NEVER = 10_000_000;
/** Max Wait that never ends a wait unless the test lets the clock jump. */
const NO_LIMIT = 21_600;
const asked = () => env.emulator.log.filter((entry) => entry.endpoint === 'fetchOne' || entry.endpoint === 'fetchMany');
const createRequests = () => env.emulator.count('create');
const json = (out: INodeExecutionData[]) => out.map((item) => item.json);
/** A generation made earlier on an API the gateway serves (LUMA_EMULATOR_APIS may leave only the unified one). */
const seed = (prompt: string, timeline: { queuedMs?: number; dreamingMs?: number } = {}) =>
	env.emulator.seed(prompt, timeline, emulatorServes('luma') ? 'luma' : 'unified');

/** Each test its own workflow ids: the spend memory lives in this process across tests. */
let workflows = 0;
beforeEach(() => workflows++);
const workflowId = (name: string) => `${name}-${workflows}`;

/** Text of every log line since `since`, metadata included (circular parts left out). */
function logText(since: number): string {
	const seen = new WeakSet<object>();
	return JSON.stringify(logLines.slice(since), (_key, value: unknown) => {
		if (typeof value === 'object' && value !== null) {
			if (seen.has(value)) return undefined;
			seen.add(value);
		}
		return value;
	});
}

describe('each item on its own account (the credential\'s API Key is {{ $json.apiKey }})', () => {
	const KEYS = ['sk-account-one-5d1f03', 'sk-account-two-9b7e44'];
	const PROMPTS = ['A red kite over dunes', 'A blue boat at dusk'];

	test('Generate → Wait: each create and every read carry the key of their item; both complete; the key is in no output field the nodes add and in no log line', async () => {
		env.emulator.configure({ keys: KEYS, isolateAccounts: true });
		const since = logLines.length;
		const result = await runWorkflow({
			nodes: [
				node('Trigger', TRIGGER_TYPE),
				node('Generate', GENERATE_TYPE, { prompt: '={{ $json.prompt }}', options: { createsPerMinute: 600 } }),
				node('Wait', WAIT_TYPE, { maxWaitSeconds: NO_LIMIT }),
			],
			connections: chain('Trigger', 'Generate', 'Wait'),
			items: items(...PROMPTS.map((prompt, i) => ({ prompt, apiKey: KEYS[i] }))),
			credentials: { apiKey: '={{ $json.apiKey }}', baseUrl: env.emulator.baseUrl },
		});
		expect(result.error).toBeUndefined();

		const creates = env.emulator.log.filter((entry) => entry.endpoint === 'create');
		expect(creates.map((entry) => [(entry.body as { prompt: string }).prompt, entry.authorization])).toEqual(
			PROMPTS.map((prompt, i) => [prompt, `Bearer ${KEYS[i]}`]),
		);
		const ids = result.outputs('Generate')[0].map((item) => item.json.id as string);
		ids.forEach((id, i) => {
			const reads = asked().filter((entry) => entry.url.includes(id));
			expect(reads.length).toBeGreaterThan(0);
			expect(new Set(reads.map((entry) => entry.authorization))).toEqual(new Set([`Bearer ${KEYS[i]}`]));
		});
		const [completed, failed, timedOut] = result.outputs('Wait');
		expect(completed.map((item) => [item.json.id, item.json.state])).toEqual(ids.map((id) => [id, 'completed']));
		expect([...failed, ...timedOut]).toEqual([]);

		// The key reaches an output only as the item's own field, never in what the nodes add.
		for (const item of [...result.outputs('Generate')[0], ...completed]) {
			const { apiKey, ...added } = item.json;
			expect(KEYS).toContain(apiKey);
			for (const key of KEYS) expect(JSON.stringify(added)).not.toContain(key);
		}
		expect(logLines.length).toBeGreaterThan(since);
		for (const key of KEYS) expect(logText(since)).not.toContain(key);
	});
});

describe('the spend memory: a new execution of the same work gets what a failed one created', () => {
	const PROMPTS = ['A lighthouse in a storm', 'A fox crossing a frozen lake', 'Lanterns rising over a river'];
	const parent = (n: number): RelatedExecution =>
		({ executionId: `parent-${workflows}-${n}`, workflowId: workflowId('parent'), executionContext: { version: 1, establishedAt: 1_700_000_000_000 + n, source: 'manual' } }) as RelatedExecution;

	/** A sub-workflow started by `from`: Trigger → Generate, then nothing (it succeeds), Fail (a node that throws) or Wait. */
	function child(from: RelatedExecution, then?: 'Fail' | 'Wait', cancelOn?: Promise<unknown>): Promise<RunResult> {
		return runWorkflow({
			nodes: [
				node('Trigger', TRIGGER_TYPE),
				node('Generate', GENERATE_TYPE, { prompt: '={{ $json.prompt }}', options: { createsPerMinute: 600 } }),
				node('Fail', FAIL_TYPE),
				node('Wait', WAIT_TYPE, { maxWaitSeconds: NO_LIMIT }),
			],
			connections: then ? chain('Trigger', 'Generate', then) : chain('Trigger', 'Generate'),
			items: items({ prompt: PROMPTS[0] }),
			credentials: env.credentials,
			parentExecution: from,
			workflowId: workflowId('child'),
			cancelOn,
		});
	}
	const generated = (result: RunResult) => result.outputs('Generate')[0][0].json;

	test('the parent runs the sub-workflow again: it reuses the failed child\'s generation, hands it on after another failure, and pays anew only after a child delivered', async () => {
		const first = await child(parent(1), 'Fail');
		expect(first.error?.message).toBe('Failed on purpose after Luma Generate');
		expect(generated(first).reusedFromEarlierTry).toBeUndefined();
		const id = generated(first).id;

		const second = await child(parent(1), 'Fail');
		expect(createRequests()).toBe(1);
		expect(generated(second)).toMatchObject({ id, reusedFromEarlierTry: true, reusedFromExecution: first.executionId });
		expect(logLines.map((line) => line.message)).toContainEqual(
			expect.stringMatching(new RegExp(`^Luma Generate: reused generation ${id} for item 0, created by execution ${first.executionId} that did not finish`)),
		);

		const delivered = await child(parent(1));
		expect(delivered.error).toBeUndefined();
		expect(generated(delivered)).toMatchObject({ id, reusedFromEarlierTry: true, reusedFromExecution: second.executionId });
		expect(createRequests()).toBe(1);

		// A deliberate new run after a good one makes a new video.
		const next = await child(parent(1));
		expect(createRequests()).toBe(2);
		expect(generated(next).id).not.toBe(id);
		expect(generated(next).reusedFromEarlierTry).toBeUndefined();
	});

	test('a child of another parent execution never takes what a failed child of the first created', async () => {
		await child(parent(1), 'Fail');
		const other = await child(parent(2), 'Fail');
		expect(createRequests()).toBe(2);
		expect(env.emulator.acceptedCreates).toBe(2);
		expect(generated(other).reusedFromEarlierTry).toBeUndefined();
	});

	test('a create whose answer was lost (it may be billed) is never sent again by the parent\'s next run of the child', async () => {
		env.emulator.failNext('create', { kind: '502', afterAccept: true, forPrompt: PROMPTS[0] });
		const first = await child(parent(1), 'Fail');
		expect(first.error?.message).toMatch(/may have been created/i);
		expect(createRequests()).toBe(1);

		const second = await child(parent(1), 'Fail');
		expect(createRequests()).toBe(1);
		expect(second.error?.message).toBe('Item 0 was sent in an earlier try with an unknown outcome: a generation may already exist and be billed (500,000 tokens each)');
		expect(second.error?.description).toContain(`by execution ${first.executionId}`);
		expect(second.error?.description).toMatch(/change the request/);
	});

	test('a child still running keeps what it created: a concurrent child of the same parent creates its own', async () => {
		env.emulator.configure({ queuedMs: NEVER });
		let stopFirst!: () => void;
		// The first child waits for its generation (which never finishes) until the test stops it.
		const first = child(parent(1), 'Wait', new Promise<void>((resolve) => (stopFirst = resolve)));
		await until(() => asked().length >= 1);
		const second = await child(parent(1), 'Fail');
		stopFirst();
		await first;
		expect(generated(second).reusedFromEarlierTry).toBeUndefined();
		expect(createRequests()).toBe(2);
	});

	/** Three prompts in one run of `mode`; the third is refused by the server when `refuseThird`. */
	function run(mode: WorkflowExecuteMode, refuseThird: boolean): Promise<RunResult> {
		if (refuseThird) env.emulator.failNext('create', { kind: '400', forPrompt: PROMPTS[2] });
		return runWorkflow({
			nodes: [node('Trigger', TRIGGER_TYPE), node('Generate', GENERATE_TYPE, { prompt: '={{ $json.prompt }}', options: { createsPerMinute: 600 } })],
			connections: chain('Trigger', 'Generate'),
			items: items(...PROMPTS.map((prompt) => ({ prompt }))),
			credentials: env.credentials,
			mode,
			workflowId: workflowId('editor'),
		});
	}

	test('the editor: a run that failed part-way, then a run with the third item fixed, sends exactly one new create; a run after that good one pays again', async () => {
		const failed = await run('manual', true);
		expect(failed.error?.message).toMatch(/^Creating the generation for item 2 failed with HTTP 400/);
		expect(env.emulator.acceptedCreates).toBe(2);

		const fixed = await run('manual', false);
		expect(fixed.error).toBeUndefined();
		expect(env.emulator.acceptedCreates).toBe(3);
		expect(Object.fromEntries(env.emulator.createsByPrompt)).toEqual(Object.fromEntries(PROMPTS.map((prompt) => [prompt, 1])));
		expect(json(fixed.outputs('Generate')[0]).map((out) => [out.prompt, out.reusedFromEarlierTry ?? false, out.reusedFromExecution ?? null])).toEqual([
			[PROMPTS[0], true, failed.executionId],
			[PROMPTS[1], true, failed.executionId],
			[PROMPTS[2], false, null],
		]);

		await run('manual', false);
		expect(env.emulator.acceptedCreates).toBe(6);
	});

	test.each(['webhook', 'trigger'] as const)('a %s execution (no parent, not the editor) never reuses: after a failed one, the next pays for every item', async (mode) => {
		await run(mode, true);
		expect(env.emulator.acceptedCreates).toBe(2);
		const again = await run(mode, false);
		expect(again.error).toBeUndefined();
		expect(env.emulator.acceptedCreates).toBe(5);
		expect(json(again.outputs('Generate')[0]).map((out) => out.reusedFromEarlierTry ?? false)).toEqual([false, false, false]);
	});
});

describe('Luma Wait, Outputs → Single Output', () => {
	function wait(parameters: INode['parameters'], inputs: Array<Record<string, unknown>>, nodeExtra: Partial<INode> = {}) {
		return runWorkflow({
			nodes: [node('Trigger', TRIGGER_TYPE), { ...node('Wait', WAIT_TYPE, { maxWaitSeconds: NO_LIMIT, outputs: 'single', ...parameters }), ...nodeExtra }],
			connections: chain('Trigger', 'Wait'),
			items: items(...inputs),
			credentials: env.credentials,
		});
	}
	const done = () => seed('a calm lake', { queuedMs: 0, dreamingMs: 0 });
	const failedGeneration = () => seed('a banned thing [fail]', { queuedMs: 0, dreamingMs: 0 });

	test('completed, failed and timed out: one output, in input order, each with its status and the fields for it', async () => {
		const slow = seed('glacial', { queuedMs: NEVER });
		const ok = done();
		const bad = failedGeneration();
		// Max Wait in real seconds: only the clock's jump ends it.
		timing.secondMs = 1_000;
		// The jump comes once the node had its answer for ok and bad (asked about each) and asked about slow again.
		const askedAbout = (id: string) => asked().filter((entry) => entry.url.includes(id)).length;
		const ready = () => askedAbout(ok) >= 1 && askedAbout(bad) >= 1 && askedAbout(slow) >= 2;
		const result = await withClockJump(ready, 50_000, () => wait({ maxWaitSeconds: 50 }, [{ id: slow, row: 1 }, { id: ok, row: 2 }, { id: bad, row: 3 }]));

		const outputs = result.outputs('Wait');
		expect(outputs).toHaveLength(1);
		expect(json(outputs[0]).map((out) => [out.row, out.id, out.status])).toEqual([
			[1, slow, 'timedOut'],
			[2, ok, 'completed'],
			[3, bad, 'failed'],
		]);
		const [timedOut, completed, failed] = json(outputs[0]);
		expect(timedOut).toMatchObject({ id: slow, state: 'queued', timedOut: true });
		expect(completed).toMatchObject({ state: 'completed', videoUrl: `${env.emulator.baseUrl}/assets/${ok}.mp4` });
		expect(failed).toMatchObject({ state: 'failed', failureReason: 'Contains blacklisted words' });
		expect(outputs[0].map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
	});

	test('On Error → Continue (using error output): an invalid id goes to the error output; a failed generation stays on the one output as failed', async () => {
		const ok = done();
		const bad = failedGeneration();
		const result = await wait({}, [{ id: ok }, { id: 'not-a-generation-id' }, { id: bad }], { onError: 'continueErrorOutput' });
		const [regular, errors] = result.outputs('Wait');
		expect(json(regular).map((out) => [out.id, out.status])).toEqual([[ok, 'completed'], [bad, 'failed']]);
		expect(errors).toEqual([
			{ json: { id: 'not-a-generation-id', error: 'Generation ID "not-a-generation-id" is not a generation ID [item 1]' }, pairedItem: { item: 1 } },
		]);
	});
});

describe('Luma Wait with Always Output Data', () => {
	function wait(ids: string[]) {
		return runWorkflow({
			nodes: [node('Trigger', TRIGGER_TYPE), { ...node('Wait', WAIT_TYPE, { maxWaitSeconds: NO_LIMIT }), alwaysOutputData: true }],
			connections: chain('Trigger', 'Wait'),
			items: items(...ids.map((id) => ({ id }))),
			credentials: env.credentials,
		});
	}
	const hints = (result: RunResult) => (result.run.data.resultData.runData.Wait[0].hints ?? []).map((hint) => hint.message);

	test('nothing completed: n8n puts an empty item on Completed, and the run carries a hint naming Always Output Data', async () => {
		const result = await wait([seed('banned one [fail]'), seed('banned two [fail]')]);
		expect(json(result.outputs('Wait')[0])).toEqual([{}]);
		expect(result.outputs('Wait')[1]).toHaveLength(2);
		expect(hints(result)).toEqual([expect.stringContaining('Always Output Data')]);
	});

	test('something completed: no hint', async () => {
		const result = await wait([seed('fine'), seed('banned [fail]')]);
		expect(json(result.outputs('Wait')[0]).map((out) => out.state)).toEqual(['completed']);
		expect(hints(result)).toEqual([]);
	});
});

// Counts long-poll fetches: the Luma endpoint's (the unified API has none).
(emulatorServes('luma') ? describe : describe.skip)('as a tool, Max Wait is one budget for every call of one execution', () => {
	test('a second call after the first used up the 45 s asks once more and answers timed out, without waiting Max Wait again', async () => {
		const id = seed('never ready', { queuedMs: NEVER });
		// Max Wait (the tool's default) and a fetch's own timeout in real seconds: only the clock's jump can spend it.
		timing.secondMs = 1_000;
		timing.longPollTimeoutMs = 75_000;
		let askedAtJump = -1;
		// A call that asks twice after the jump waits on its own Max Wait: the run is stopped there.
		const stop = new AbortController();
		const askedTwiceAfterJump = until(() => askedAtJump >= 0 && asked().length >= askedAtJump + 2, stop.signal);
		let result: RunResult;
		try {
			result = await withClockJump(
				() => env.emulator.holding === 1,
				// The tool's Max Wait default: 45 s for the whole execution.
				45_000,
				// Two tool calls in one execution: Wait → Repeat → Wait, as an agent calls a tool twice in one turn.
				() =>
					runWorkflow({
						nodes: [node('Trigger', TRIGGER_TYPE), node('Wait', WAIT_TOOL_TYPE, { generationId: id }), node('Repeat', REPEAT_TYPE, { times: 2 })],
						connections: { ...chain('Trigger', 'Wait', 'Repeat'), ...chain(['Repeat', 0], 'Wait') },
						items: items({ chatInput: 'Is my video ready?', sessionId: 's1', toolCallId: 'call_1' }),
						credentials: env.credentials,
						cancelOn: askedTwiceAfterJump,
					}),
				() => {
					askedAtJump = asked().length;
					// A call after the budget is spent reads the state once, without holding; a hold would
					// keep it past its turn (and a held answer would tell it nothing).
					env.emulator.configure({ holdMs: NEVER });
				},
			);
		} finally {
			stop.abort();
		}

		expect(result.error).toBeUndefined();
		const calls = result.run.data.resultData.runData.Wait.map((run) => run.data!.main[0]!.map((item) => item.json));
		expect(calls).toHaveLength(2);
		for (const answer of calls) expect(answer).toEqual([expect.objectContaining({ id, timedOut: true })]);
		// The second call says where the video stands, not an unknown state.
		expect(calls[1][0].state).toBe('queued');
		expect(askedAtJump).toBeGreaterThanOrEqual(1);
		expect(asked()).toHaveLength(askedAtJump + 1);
	});
});
