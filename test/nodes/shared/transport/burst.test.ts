/**
 * Many executions, one account (issue 19), in n8n's real engine against the emulator's account
 * limits: 20 creates per (scaled) minute and 10 generations running at once. Every execution runs
 * Luma Generate → Luma Wait and they all start together. Counted, not timed: no item fails, no
 * create is paid twice, every video completes, creates are accepted in the order the executions'
 * Generate nodes asked the account's create queue, and leave together while the account has room.
 * Then the two ways a queued create ends unsent:
 * its execution is cancelled, or it outwaits Max Wait in Create Queue (and a Retry sends it once).
 *
 * The clock runs 100 times fast (useEmulator): a minute is 600 ms for the nodes and the emulator.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

import type { INode, INodeParameters } from 'n8n-workflow';

import { CreateQueue } from '../../../../nodes/shared/transport/createQueue';
import type { RunOptions, RunResult } from '../../../helpers/engine';
import { chain, GENERATE_TYPE, items, logLines, node, runWorkflow, TRIGGER_TYPE, WAIT_TYPE } from '../../../helpers/engine';
import { useEmulator } from '../../../helpers/emulator';

/** A generation takes 1.2 s here (two minutes at real scale): the running limit is what binds. */
const env = useEmulator({ queuedMs: 200, dreamingMs: 1_000, createLimit: { count: 20, windowMs: 600 }, runningLimit: 10 });

const COMPLETED = 0;

/**
 * Which execution asked the create queue: each run is started inside `asking.run(label, …)`, and
 * the label follows the node's async work into CreateQueue.run.
 */
const asking = new AsyncLocalStorage<string>();
/** Who called CreateQueue.run, in the order of the calls: the arrival order. */
const arrivals: string[] = [];
/** Each send the queue made, by arrival number, in the order it happened: started, then refused (429) or answered. */
const sends: Array<{ arrival: number; event: 'sent' | 'refused' | 'answered' }> = [];
/** Resolved with each label as its create arrives in the queue (after the queue took it in). */
let onArrival: (label: string) => void = () => {};

beforeEach(() => {
	arrivals.length = 0;
	sends.length = 0;
	onArrival = () => {};
	const original = CreateQueue.prototype.run;
	jest.spyOn(CreateQueue.prototype, 'run').mockImplementation(function (this: CreateQueue, options, send) {
		const label = asking.getStore() ?? '(unlabelled)';
		const arrival = arrivals.push(label) - 1;
		queueMicrotask(() => onArrival(label));
		return original.call(this, options, async () => {
			sends.push({ arrival, event: 'sent' });
			const attempt = await send();
			sends.push({ arrival, event: attempt.tooMany ? 'refused' : 'answered' });
			return attempt;
		}) as never;
	});
});

afterEach(() => jest.restoreAllMocks());

function execution(prompts: string[], generateOptions: INodeParameters = {}, extra: Partial<RunOptions> = {}): RunOptions {
	return {
		nodes: [
			node('Trigger', TRIGGER_TYPE),
			node('Generate', GENERATE_TYPE, { prompt: '={{ $json.prompt }}', options: generateOptions }),
			node('Wait', WAIT_TYPE, { maxWaitSeconds: 21_600 }),
		],
		connections: chain('Trigger', 'Generate', 'Wait'),
		items: items(...prompts.map((prompt) => ({ prompt }))),
		credentials: env.credentials,
		...extra,
	};
}

/** Only Luma Generate: an execution that holds a place in the queue. */
function generateOnly(prompts: string[], generateOptions: INodeParameters = {}, extra: Partial<RunOptions> = {}): RunOptions {
	return {
		nodes: [node('Trigger', TRIGGER_TYPE), node('Generate', GENERATE_TYPE, { prompt: '={{ $json.prompt }}', options: generateOptions }) as INode],
		connections: chain('Trigger', 'Generate'),
		items: items(...prompts.map((prompt) => ({ prompt }))),
		credentials: env.credentials,
		...extra,
	};
}

/**
 * Every pair of creates the server accepted out of arrival order (`later` arrived after `earlier`
 * but was accepted first), and whether `later`'s accepted send started while a send of `earlier`
 * was on its way and then came back refused.
 */
function overtakings(acceptedArrivals: number[]): Array<{ earlier: number; later: number; whileRefusalOnItsWay: boolean }> {
	const pairs: Array<{ earlier: number; later: number; whileRefusalOnItsWay: boolean }> = [];
	acceptedArrivals.forEach((later, x) => {
		for (const earlier of acceptedArrivals.slice(x + 1)) {
			if (earlier < later) pairs.push({ earlier, later, whileRefusalOnItsWay: overtookRefused(earlier, later) });
		}
	});
	return pairs;
}

function overtookRefused(earlier: number, later: number): boolean {
	let leftAt = -1; // the last send of `later`: the accepted one
	sends.forEach((send, index) => {
		if (send.arrival === later && send.event === 'sent') leftAt = index;
	});
	return sends.some((send, index) => {
		if (send.arrival !== earlier || send.event !== 'sent' || index > leftAt) return false;
		const answer = sends.findIndex((other, at) => at > index && other.arrival === earlier && other.event !== 'sent');
		return answer > leftAt && sends[answer].event === 'refused';
	});
}

function labelled(label: string, options: RunOptions): Promise<RunResult> {
	return asking.run(label, () => runWorkflow(options));
}

/** Polls a condition of the emulator's counters (no time limit of its own: jest's test timeout is the bound). */
async function until(condition: () => boolean): Promise<void> {
	while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

const acceptedPrompts = () =>
	env.emulator.log.filter((entry) => entry.endpoint === 'create' && entry.status === 201).map((entry) => (entry.body as { prompt: string }).prompt);
const createRequestsFor = (prompt: string) => env.emulator.count('create', (entry) => (entry.body as { prompt?: string })?.prompt === prompt);
const waitLinesOf = (result: RunResult) =>
	logLines.filter((line) => line.message.includes('waits for the account\'s create limits') && line.message.includes(`(execution ${result.executionId},`));

describe('40 executions at once on one account (20 creates a minute, 10 running)', () => {
	test('0 items failed, 0 creates paid twice, every video completed, creates leave and are accepted in arrival order', async () => {
		// 36 executions with one prompt, 4 with three: 48 creates, 5 times what may run at once.
		const plan = Array.from({ length: 40 }, (_, e) =>
			Array.from({ length: e % 10 === 3 ? 3 : 1 }, (_, i) => `Burst execution ${e} prompt ${i}`),
		);
		const total = plan.flat().length;
		// Max Wait in Create Queue at its largest: the test asserts what happens, not how long it took.
		const results = await Promise.all(plan.map((prompts, e) => labelled(`execution ${e}`, execution(prompts, { maxQueueWaitMinutes: 1440 }))));

		// Every execution succeeded, every item reached Completed through Luma Wait.
		for (const [e, result] of results.entries()) {
			expect(result.error).toBeUndefined();
			const wait = result.outputs('Wait');
			expect(wait[COMPLETED].map((item) => [item.json.prompt, item.json.state])).toEqual(plan[e].map((prompt) => [prompt, 'completed']));
			expect(wait.slice(1).flat()).toEqual([]);
		}

		// One create accepted (billed) per prompt.
		expect(env.emulator.acceptedCreates).toBe(total);
		expect([...env.emulator.createsByPrompt.values()]).toEqual(plan.flat().map(() => 1));

		// Arrival order: the k-th time an execution asked the queue was for its k-th prompt (items go one after another).
		const asked = new Map<string, number>();
		const arrivalOrder = arrivals.map((label) => {
			const k = asked.get(label) ?? 0;
			asked.set(label, k + 1);
			return plan[Number(label.replace('execution ', ''))][k];
		});
		expect(arrivals).toHaveLength(total);
		// Creates left the queue in arrival order (each one's first send)…
		const firstSends = sends.filter((send, index) => send.event === 'sent' && sends.findIndex((other) => other.arrival === send.arrival) === index);
		expect(firstSends.map((send) => send.arrival)).toEqual(arrivalOrder.map((_, arrival) => arrival));
		// …and the server accepted them in that order, but for a create overtaken while the 429 of
		// its own earlier send was still on its way back (creates leave together, so a later one can
		// be accepted while an earlier one is refused): none is overtaken any other way.
		const accepted = acceptedPrompts().map((prompt) => arrivalOrder.indexOf(prompt));
		const overtaken = overtakings(accepted);
		expect(overtaken.filter((pair) => !pair.whileRefusalOnItsWay)).toEqual([]);

		// Creates left together while the account had room, never more at once than the window takes
		// (20 a minute): the queue does not send them one by one. (The executions' creates arrive
		// together: they all wait for the one probe of the gateway's APIs, answered at one moment.)
		let onTheirWay = 0;
		let most = 0;
		for (const send of sends) {
			onTheirWay += send.event === 'sent' ? 1 : -1;
			most = Math.max(most, onTheirWay);
		}
		expect(most).toBeGreaterThan(1);
		expect(most).toBeLessThanOrEqual(20);
		// The limits were met: the server refused creates (never billed) and nobody failed for it.
		const refused = env.emulator.tooManyRequests.createLimit + env.emulator.tooManyRequests.runningLimit;
		expect(refused).toBeGreaterThan(0);
		// A waiting item says where it stands and for about how long.
		const lines = results.flatMap(waitLinesOf);
		expect(lines.length).toBeGreaterThan(0);
		expect(lines[0].message).toMatch(/^Luma Generate: item \d+ waits for the account's create limits: position \d+ in the queue, about \d+ s \(execution /);
	}, 120_000);
});

describe('60 executions at once, generations of 50 ms (the create rate binds: 20 a minute)', () => {
	afterEach(() => env.emulator.configure({ queuedMs: 200, dreamingMs: 1_000 }));

	test('creates leave together up to the window, in arrival order, then as it frees; none fails, none is refused for the rate', async () => {
		env.emulator.configure({ queuedMs: 20, dreamingMs: 30 });
		const plan = Array.from({ length: 60 }, (_, e) => `Short execution ${e}`);
		const results = await Promise.all(plan.map((prompt, e) => labelled(`execution ${e}`, execution([prompt], { maxQueueWaitMinutes: 1440 }))));
		for (const [e, result] of results.entries()) {
			expect(result.error).toBeUndefined();
			expect(result.outputs('Wait')[COMPLETED].map((item) => [item.json.prompt, item.json.state])).toEqual([[plan[e], 'completed']]);
		}
		expect([...env.emulator.createsByPrompt.values()]).toEqual(plan.map(() => 1));
		// Each create's first send in arrival order.
		const firstSends = sends.filter((send, index) => send.event === 'sent' && sends.findIndex((other) => other.arrival === send.arrival) === index);
		expect(firstSends.map((send) => send.arrival)).toEqual(plan.map((_, arrival) => arrival));
		// The queue keeps to the window by itself: it counts a create from its answer, never before the
		// server did, so the server never refused one for the rate (only for running generations).
		expect(env.emulator.tooManyRequests.createLimit).toBe(0);
		// 60 creates, 20 a minute: three windows' worth, each leaving together.
		const accepted = env.emulator.log.filter((entry) => entry.endpoint === 'create' && entry.status === 201).map((entry) => entry.at);
		expect(accepted).toHaveLength(60);
		expect(accepted[20] - accepted[0]).toBeGreaterThanOrEqual(600);
		expect(accepted[40] - accepted[20]).toBeGreaterThanOrEqual(600);
	}, 120_000);
});

describe('a create that waits in the queue and is never sent', () => {
	/**
	 * The account is full: a generation of someone else's runs (seeded, 10^7 ms) and only one may
	 * run, so every create is answered 429 until the test ends that generation. `Holder` waits at
	 * the head of the line, sent at each pause's end and refused; anything behind it stays unsent.
	 * The creates behind run at 1 a minute, so none leaves while Holder's refusal is on its way.
	 */
	async function fullAccount(): Promise<{ release: () => void; holder: Promise<RunResult> }> {
		env.emulator.configure({ runningLimit: 1 });
		const blocking = env.emulator.seed('someone else\'s long video', { queuedMs: 10_000_000 });
		const holder = labelled('holder', generateOnly(['Holder at the head of the line'], { maxQueueWaitMinutes: 1440 }));
		await until(() => env.emulator.tooManyRequests.runningLimit >= 1);
		return { release: () => env.emulator.finish(blocking), holder };
	}

	test('cancelled while it waits: it leaves the queue and is never sent, though creates that asked after it are', async () => {
		const { release, holder } = await fullAccount();
		// Cancelled (as the Stop button does) once its create is in the queue, behind Holder.
		const inQueue = new Promise<void>((resolve) => (onArrival = (label) => label === 'cancelled' && resolve()));
		const cancelled = await labelled('cancelled', generateOnly(['Cancelled while waiting'], { createsPerMinute: 1, maxQueueWaitMinutes: 1440 }, { cancelOn: inQueue }));
		expect(cancelled.error?.message).toBe('The execution was cancelled');
		expect(waitLinesOf(cancelled).length).toBeGreaterThan(0); // it was in the queue when cancelled

		release();
		expect((await holder).error).toBeUndefined();
		// A create that asks after it is accepted: had the cancelled one still been in line, it would have gone first.
		const later = await labelled('later', generateOnly(['Asked after the cancel']));
		expect(later.error).toBeUndefined();
		expect(arrivals).toEqual(['holder', 'cancelled', 'later']);
		expect(createRequestsFor('Cancelled while waiting')).toBe(0);
		expect(env.emulator.createsByPrompt.get('Cancelled while waiting')).toBeUndefined();
		expect(acceptedPrompts()).toEqual(['Holder at the head of the line', 'Asked after the cancel']);
	}, 60_000);

	test('past Max Wait in Create Queue it fails unsent and unbilled; a Retry of the execution sends it once', async () => {
		const { release, holder } = await fullAccount();
		const waited = execution(['Waited too long'], { createsPerMinute: 1, maxQueueWaitMinutes: 1 });
		const failed = await labelled('waited', waited);
		expect(failed.error?.message).toMatch(/^Creating the generation for item 0: not created after waiting 1 minute for the account's create limits$/);
		expect(failed.error?.description).toContain('Nothing was billed');
		expect(createRequestsFor('Waited too long')).toBe(0);
		expect(waitLinesOf(failed).length).toBeGreaterThan(0);

		release();
		expect((await holder).error).toBeUndefined();
		env.emulator.configure({ runningLimit: undefined });
		const retried = await labelled('retry', { ...waited, retryOf: failed });
		expect(retried.error).toBeUndefined();
		expect(retried.outputs('Wait')[COMPLETED].map((item) => [item.json.prompt, item.json.state])).toEqual([['Waited too long', 'completed']]);
		expect(createRequestsFor('Waited too long')).toBe(1);
		expect(env.emulator.createsByPrompt.get('Waited too long')).toBe(1);
	}, 60_000);
});
