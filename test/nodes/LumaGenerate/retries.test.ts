/**
 * Luma Generate when n8n runs it again: Retry On Fail, a retried execution, a loop. The spend
 * ledger in the node's context must keep every prompt to one billed create, and every paid id
 * must reach the output or the error.
 */
import type { INode } from 'n8n-workflow';

import type { ScriptedFault } from '../../emulator/emulator';
import type { RunResult } from '../../helpers/engine';
import { chain, GENERATE_TYPE, items, logLines, node, runLoop, runWorkflow, TRIGGER_TYPE } from '../../helpers/engine';
import { useEmulator } from '../../helpers/emulator';

const env = useEmulator();

const PROMPTS = ['A lighthouse in a storm', 'A fox crossing a frozen lake', 'Lanterns rising over a river'];
const RETRY_ON_FAIL: Partial<INode> = { retryOnFail: true, maxTries: 3, waitBetweenTries: 0 };
const CONTINUE_ON_FAIL: Partial<INode> = { onError: 'continueRegularOutput' };

/** Runs the workflow; with `retryOf`, as n8n retries that execution: its saved node contexts, mode `retry`. */
function generate(nodeExtra: Partial<INode> = {}, retryOf?: RunResult, parameters: Record<string, unknown> = {}) {
	return runWorkflow({
		nodes: [
			node('Trigger', TRIGGER_TYPE),
			{
				...node('Generate', GENERATE_TYPE, { prompt: '={{ $json.prompt }}', options: { createsPerMinute: 600 }, ...parameters }),
				...nodeExtra,
			},
		],
		connections: chain('Trigger', 'Generate'),
		items: items(...PROMPTS.map((prompt) => ({ prompt }))),
		credentials: env.credentials,
		retryOf,
	});
}

/** The second prompt's create is billed, then its answer is lost this way. */
function failSecondCreateAfterBilling(kind: ScriptedFault['kind']): void {
	env.emulator.failNext('create', { kind, afterAccept: true, forPrompt: PROMPTS[1] });
}

const createRequests = () => env.emulator.count('create');
const idOf = (prompt: string) => [...env.emulator.generations.values()].find((g) => g.request.prompt === prompt)!.id;

function expectEachPromptBilledOnce(): void {
	expect(Object.fromEntries(env.emulator.createsByPrompt)).toEqual(Object.fromEntries(PROMPTS.map((prompt) => [prompt, 1])));
}

describe('Retry On Fail never pays twice', () => {
	test.each([
		['answered 502 after billing', '502'],
		['the connection reset after billing', 'reset'],
	] as const)('the second create %s: one create per prompt, the unknown item named, every paid id reported', async (_label, fault) => {
		failSecondCreateAfterBilling(fault);
		const result = await generate(RETRY_ON_FAIL);

		expectEachPromptBilledOnce();
		// Try 1 sends prompts 0 and 1; try 2 sends only prompt 2; try 3 sends nothing.
		expect(createRequests()).toBe(3);
		expect(result.error?.message).toBe(
			'Item 1 was sent in an earlier try with an unknown outcome: a generation may already exist and be billed (500,000 tokens each)',
		);
		expect(result.error?.description).toContain('Not sent again, so not paid twice.');
		expect(result.error?.description).toContain(
			`Already created in this run (not lost, fetch them with Luma Wait): item 0: ${idOf(PROMPTS[0])}, item 2: ${idOf(PROMPTS[2])}.`,
		);
	});

	test('a create refused without billing is sent again on the next try; items created before are not', async () => {
		env.emulator.failNext('create', { kind: '400', forPrompt: PROMPTS[1] });
		const result = await generate(RETRY_ON_FAIL);

		expect(result.error).toBeUndefined();
		expectEachPromptBilledOnce();
		expect(createRequests()).toBe(4); // 0, 1 (refused), then 1 and 2
		const out = result.outputs('Generate')[0];
		expect(out.map((item) => [item.json.prompt, item.json.id, item.pairedItem])).toEqual(
			PROMPTS.map((prompt, index) => [prompt, idOf(prompt), { item: index }]),
		);
		// The first prompt came from the ledger, marked so the user can tell.
		expect(out.map((item) => item.json.reusedFromEarlierTry ?? false)).toEqual([true, false, false]);
		expect(out[0].json).toMatchObject({ state: 'queued', mode: 'textToVideo', tokenCost: 500000, request: { prompt: PROMPTS[0] } });
		expect((out[0].json.generation as { id: string }).id).toBe(idOf(PROMPTS[0]));
	});

	test('every create is logged at info with the execution id, item index and generation id', async () => {
		failSecondCreateAfterBilling('502');
		const { executionId } = await generate(RETRY_ON_FAIL);
		const created = logLines.filter((line) => line.level === 'info' && line.message.startsWith('Luma Generate: created generation'));
		for (const [itemIndex, prompt] of [[0, PROMPTS[0]], [2, PROMPTS[2]]] as const) {
			expect(created.map((line) => line.message)).toContain(
				`Luma Generate: created generation ${idOf(prompt)} for item ${itemIndex} (execution ${executionId}, node "Generate", run 0, api luma)`,
			);
		}
		// The billed create whose answer was lost: its item is on record as unknown.
		expect(logLines.some((line) => line.level === 'warn' && line.message.startsWith(`Luma Generate: item 1 may have been created, outcome unknown (execution ${executionId}`))).toBe(true);
	});
});

describe('retrying a failed execution', () => {
	test('reuses what the failed execution created, retry after retry, even after the workflow was changed to continue on fail', async () => {
		failSecondCreateAfterBilling('502');
		const failed = await generate();
		expect(failed.error?.message).toMatch(/^Creating the generation for item 1 failed after it may have reached the server \(HTTP 502/);
		expect(createRequests()).toBe(2);

		// Each retry is a retry of the one before, as the newest failed execution in the list.
		let previous = failed;
		for (let retry = 0; retry < 2; retry++) {
			previous = await generate(CONTINUE_ON_FAIL, previous);
			const out = previous.outputs('Generate')[0];
			expect(out.map((item) => item.json.id ?? null)).toEqual([idOf(PROMPTS[0]), null, idOf(PROMPTS[2])]);
			expect(out[1].json.error).toMatch(/^Item 1 was sent in an earlier try with an unknown outcome/);
			expect(out[1].pairedItem).toEqual({ item: 1 });
		}
		expectEachPromptBilledOnce();
		expect(createRequests()).toBe(3);
	});

	test('retrying the same failed execution twice: the second retry knows what the first one created', async () => {
		env.emulator.configure({ credits: 1 });
		const failed = await generate();
		expect(failed.error?.message).toMatch(/^Creating the generation for item 1 failed with HTTP 403/);

		env.emulator.configure({ credits: 2 });
		const first = await generate({}, failed);
		expect(first.error?.message).toMatch(/^Creating the generation for item 2 failed with HTTP 403/);

		env.emulator.configure({ credits: 100 });
		const second = await generate({}, failed);
		expect(second.error).toBeUndefined();
		const out = second.outputs('Generate')[0];
		expect(out.map((item) => item.json.id)).toEqual(PROMPTS.map(idOf));
		expect(out.map((item) => item.json.reusedFromEarlierTry ?? false)).toEqual([true, true, false]);
		expectEachPromptBilledOnce();
	});

	test('a callback URL built from the execution id (new on every retry) does not make a retry pay again', async () => {
		const callback = { callbackUrl: '={{ "https://hooks.example.com/luma/" + $execution.id }}' };
		failSecondCreateAfterBilling('502');
		const failed = await generate({}, undefined, callback);
		const retried = await generate(CONTINUE_ON_FAIL, failed, callback);

		const out = retried.outputs('Generate')[0];
		expect(out.map((item) => item.json.id ?? null)).toEqual([idOf(PROMPTS[0]), null, idOf(PROMPTS[2])]);
		expect(out[0].json.reusedFromEarlierTry).toBe(true);
		expect(out[1].json.error).toMatch(/^Item 1 was sent in an earlier try with an unknown outcome/);
		expectEachPromptBilledOnce();
		// The callback URLs really differed between the two executions.
		const callbacks = env.emulator.log.filter((entry) => entry.endpoint === 'create').map((entry) => (entry.body as { callback_url: string }).callback_url);
		expect(callbacks).toHaveLength(3);
		expect(callbacks[2]).not.toBe(callbacks[0]);
	});

	test('a retry with the cap lowered below what was sent: refused before sending, naming the ids created before', async () => {
		env.emulator.configure({ credits: 1 });
		const failed = await generate();
		expect(failed.error?.message).toMatch(/^Creating the generation for item 1 failed with HTTP 403/);
		env.emulator.configure({ credits: 100 });

		// Two items still to send, one already sent, a cap of 1: refused before sending, item 0's id named.
		const refused = await generate({}, failed, { options: { createsPerMinute: 600, maxCreatesPerRun: 1 } });
		expect(refused.error?.message).toMatch(/already sent 1 create in this execution and Max Creates per Execution is 1$/);
		expect(refused.error?.description).toContain(`Already created in this run (not lost, fetch them with Luma Wait): item 0: ${idOf(PROMPTS[0])}.`);
		expect(createRequests()).toBe(2);
	});

	test('a retry with nothing left to send is never refused by the cap, however low', async () => {
		failSecondCreateAfterBilling('502');
		const failed = await generate();
		// The first retry sends prompt 2 and fails again on item 1 (outcome unknown): 3 creates sent in all.
		const retried = await generate({}, failed);
		expect(retried.error?.message).toMatch(/^Item 1 was sent in an earlier try with an unknown outcome/);

		const lowered = await generate(CONTINUE_ON_FAIL, retried, { options: { createsPerMinute: 600, maxCreatesPerRun: 1 } });
		const out = lowered.outputs('Generate')[0];
		expect(out.map((item) => item.json.id ?? null)).toEqual([idOf(PROMPTS[0]), null, idOf(PROMPTS[2])]);
		expect(out[1].json.error).toMatch(/^Item 1 was sent in an earlier try with an unknown outcome/);
		expectEachPromptBilledOnce();
	});

	test('a new execution creates anew: the ledger belongs to one execution', async () => {
		await generate();
		await generate();
		expect(Object.fromEntries(env.emulator.createsByPrompt)).toEqual(Object.fromEntries(PROMPTS.map((prompt) => [prompt, 2])));
	});
});

describe('Max Creates per Execution', () => {
	function loop(times: number, maxCreatesPerRun: number) {
		return runLoop(GENERATE_TYPE, { prompt: 'A looping prompt', options: { createsPerMinute: 600, maxCreatesPerRun } }, times, {}, env.credentials);
	}

	test('a loop that runs the node three times with a cap of 2 sends 2 and says why it stopped', async () => {
		const result = await loop(3, 2);
		expect(env.emulator.acceptedCreates).toBe(2);
		expect(createRequests()).toBe(2);
		expect(result.error?.message).toBe(
			'This run would create 1 more generation (500,000 tokens), but this node already sent 2 creates in this execution and Max Creates per Execution is 2',
		);
		expect(result.error?.description).toMatch(/^Nothing was sent\. The cap counts every create this node sends in one execution/);
		// A loop is a new request each time: the runs before the cap created anew.
		expect(result.run.data.resultData.runData.Generate.slice(0, 2).map((run) => run.data!.main[0]![0].json.reusedFromEarlierTry)).toEqual([undefined, undefined]);
	});

	test('within the cap, every run of the loop creates', async () => {
		const result = await loop(3, 3);
		expect(result.error).toBeUndefined();
		expect(env.emulator.acceptedCreates).toBe(3);
	});
});
