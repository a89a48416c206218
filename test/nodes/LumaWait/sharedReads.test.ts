/**
 * Executions waiting together (issue 24), in n8n's real engine against the emulator: every Luma
 * Wait run of the process shares its reads with the others of the same account, and each
 * execution still gets exactly its own items.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

import type { INode } from 'n8n-workflow';

import type { LumaEmulator } from '../../emulator/emulator';
import { chain, items, node, runWorkflow, TRIGGER_TYPE, WAIT_TYPE } from '../../helpers/engine';
import type { RunResult } from '../../helpers/engine';
import { TEST_KEY, useEmulator } from '../../helpers/emulator';
import { until, withClockJump } from '../../helpers/events';
import { sharedGroups } from '../../../nodes/LumaWait/sharedReads';
import { timing } from '../../../nodes/shared/timing';

const OTHER_KEY = 'sk-test-other-account-5d1c';
const env = useEmulator({ keys: [TEST_KEY, OTHER_KEY], isolateAccounts: true });
const COMPLETED = 0;
const FAILED = 1;
const TIMED_OUT = 2;
/** Longer than any test runs (ms), and than the clock jumps ahead. */
const NEVER = 10_000_000;

function wait(inputs: Array<Record<string, unknown>>, parameters: INode['parameters'] = {}, options: { cancelOn?: Promise<unknown>; apiKey?: string; nodeExtra?: Partial<INode> } = {}) {
	return runWorkflow({
		nodes: [node('Trigger', TRIGGER_TYPE), { ...node('Wait', WAIT_TYPE, { maxWaitSeconds: 21_600, ...parameters }), ...options.nodeExtra }],
		connections: chain('Trigger', 'Wait'),
		items: items(...inputs),
		credentials: { ...env.credentials, apiKey: options.apiKey ?? TEST_KEY },
		cancelOn: options.cancelOn,
	});
}

/** The ids one fetch asked about. */
function idsOf(url: string): string[] {
	const params = new URL(url, 'http://x').searchParams;
	return [...params.getAll('generation_ids[]'), ...params.getAll('generation_id')].sort();
}

const fetches = () => env.emulator.log.filter((entry) => entry.endpoint === 'fetchOne' || entry.endpoint === 'fetchMany');

/** Fetches open at once, counted on the emulator's sockets (a request let go never logs an answer). */
function watchInFlight(emulator: LumaEmulator): { peak: number } {
	const seen = { peak: 0 };
	let open = 0;
	const server = (emulator as unknown as { server: Server }).server;
	server.on('request', (req: IncomingMessage, res: ServerResponse) => {
		if (!/\/luma-ai\/generations?\?|\/v2\/video\/generations\?/.test(req.url ?? '') || (req.url ?? '').includes('00000000-0000-4000-8000-000000000000')) return;
		seen.peak = Math.max(seen.peak, ++open);
		res.on('close', () => open--);
	});
	return seen;
}

const idsOn = (result: RunResult, output: number) => result.outputs('Wait')[output].map((item) => [item.json.id, item.json.run]);

afterEach(async () => {
	// No run left anything waiting behind it.
	await until(() => sharedGroups() === 0);
});

describe('executions waiting together on the Luma endpoint', () => {
	test('five executions of two ids each make one fetch-many per hold window, and each gets exactly its own items', async () => {
		const inFlight = watchInFlight(env.emulator);
		const ids = Array.from({ length: 10 }, (_, i) => env.emulator.seed(`together ${i}`, { queuedMs: NEVER }));
		const all = [...ids].sort();
		// Once all ten are asked in one read and two such reads were held a whole window, they finish
		// (or once 20 fetches went out, which unshared reads of five executions reach in four windows).
		const sharedWindows = () => fetches().filter((entry) => entry.hold === 'capped' && idsOf(entry.url).join() === all.join()).length;
		void until(() => sharedWindows() >= 2 || fetches().length >= 20).then(() => ids.forEach((id, i) => env.emulator.finish(id, i === 9 ? 'failed' : 'completed')));
		const results = await Promise.all([0, 1, 2, 3, 4].map((run) => wait([{ id: ids[2 * run], run }, { id: ids[2 * run + 1], run }])));

		results.forEach((result, run) => {
			const own = run === 4 ? [[ids[8], run]] : [[ids[2 * run], run], [ids[2 * run + 1], run]];
			expect(idsOn(result, COMPLETED)).toEqual(own);
			expect(idsOn(result, FAILED)).toEqual(run === 4 ? [[ids[9], run]] : []);
			expect(idsOn(result, TIMED_OUT)).toEqual([]);
		});
		expect(sharedWindows()).toBeGreaterThanOrEqual(2);
		expect(inFlight.peak).toBeLessThanOrEqual(2);
		// Every window after the ten were gathered was one read for all of them, never one per execution.
		const firstShared = fetches().findIndex((entry) => idsOf(entry.url).join() === all.join());
		expect(firstShared).toBeGreaterThanOrEqual(0);
		const after = fetches().slice(firstShared);
		expect(after.filter((entry) => entry.hold === 'capped').every((entry) => idsOf(entry.url).join() === all.join())).toBe(true);
		expect(env.emulator.count('fetchOne')).toBe(0);
	});

	test('an execution joining while the shared read is held gets its answer at once, not at the end of the hold', async () => {
		// The server would hold the first execution's read for ever: only a new read can answer the second.
		env.emulator.configure({ holdMs: NEVER });
		timing.longPollTimeoutMs = NEVER;
		const waiting = env.emulator.seed('takes for ever', { queuedMs: NEVER });
		const done = env.emulator.seed('already done', { queuedMs: 0, dreamingMs: 0 });
		let stopFirst!: () => void;
		const first = wait([{ id: waiting, run: 'first' }], {}, { cancelOn: new Promise<void>((resolve) => (stopFirst = resolve)) });
		try {
			await until(() => env.emulator.holding === 1);
			const second = await wait([{ id: done, run: 'second' }]);
			expect(idsOn(second, COMPLETED)).toEqual([[done, 'second']]);
			// The first goes on waiting, on a held read of its id alone.
			await until(() => env.emulator.holding === 1);
			const last = fetches()[fetches().length - 1];
			expect(idsOf(last.url)).toEqual([waiting]);
		} finally {
			stopFirst();
		}
		expect((await first).error?.message).toBe('The execution was cancelled');
		await until(() => env.emulator.holding === 0);
	});

	test('a cancelled execution leaves: the others keep waiting on their own ids and get them; the reads after carry none of its ids', async () => {
		const mine = env.emulator.seed('stays', { queuedMs: NEVER });
		const theirs = env.emulator.seed('cancelled', { queuedMs: NEVER });
		const both = [mine, theirs].sort().join();
		const sharedHeld = until(() => fetches().some((entry) => idsOf(entry.url).join() === both) && env.emulator.holding === 1);
		let readsAtCancel = -1;
		const cancelled = wait([{ id: theirs, run: 'cancelled' }], {}, { cancelOn: sharedHeld.then(() => (readsAtCancel = fetches().length)) });
		const staying = wait([{ id: mine, run: 'stays' }]);
		const cancelledResult = await cancelled;
		expect(cancelledResult.error?.message).toBe('The execution was cancelled');
		// The other execution's wait goes on: a read for its id alone, held, then its generation ends.
		await until(() => fetches().slice(readsAtCancel).some((entry) => idsOf(entry.url).join() === mine) && env.emulator.holding === 1);
		env.emulator.finish(mine);
		const result = await staying;
		expect(idsOn(result, COMPLETED)).toEqual([[mine, 'stays']]);
		expect(fetches().slice(readsAtCancel).every((entry) => !idsOf(entry.url).includes(theirs))).toBe(true);
	});

	test('an execution whose Max Wait ends leaves with its own id on Timed Out; the other gets its result', async () => {
		const slow = env.emulator.seed('slow', { queuedMs: NEVER });
		const quick = env.emulator.seed('quick', { queuedMs: NEVER });
		const both = [slow, quick].sort().join();
		timing.secondMs = 1_000;
		let readsAtJump = -1;
		const [short, long] = await withClockJump(
			// The clock passes the short Max Wait once both ids are read together.
			() => fetches().some((entry) => idsOf(entry.url).join() === both && entry.hold === 'capped'),
			50_000,
			async () => {
				const shortRun = wait([{ id: slow, run: 'short' }], { maxWaitSeconds: 50 });
				const longRun = wait([{ id: quick, run: 'long' }]);
				const shortResult = await shortRun;
				readsAtJump = fetches().length;
				env.emulator.finish(quick);
				return [shortResult, await longRun];
			},
		);
		expect(short.outputs('Wait')[TIMED_OUT].map((item) => [item.json.id, item.json.run, item.json.timedOut, item.json.state])).toEqual([[slow, 'short', true, 'queued']]);
		expect(short.outputs('Wait')[COMPLETED]).toEqual([]);
		expect(idsOn(long, COMPLETED)).toEqual([[quick, 'long']]);
		expect(fetches().slice(readsAtJump).every((entry) => !idsOf(entry.url).includes(slow))).toBe(true);
	});

	test('an id unknown to the account fails only its own execution, naming the id; the shared read goes on for the rest', async () => {
		const known = env.emulator.seed('known', { queuedMs: 50, dreamingMs: 100 });
		const unknown = '11111111-2222-4333-8444-555555555555';
		const [good, bad] = await Promise.all([wait([{ id: known, run: 'good' }]), wait([{ id: unknown, run: 'bad' }], {}, { nodeExtra: { onError: 'continueRegularOutput' } })]);
		expect(idsOn(good, COMPLETED)).toEqual([[known, 'good']]);
		expect(bad.outputs('Wait')[FAILED].map((item) => item.json)).toEqual([
			{ id: unknown, run: 'bad', error: `Fetching generation ${unknown} failed with HTTP 404: Generation ${unknown} not found` },
		]);
	});

	test('ids of two accounts are never read together, and each with its own key', async () => {
		const ours = env.emulator.seed('ours', { queuedMs: 50, dreamingMs: 100 });
		const others = env.emulator.seed('others', { queuedMs: 50, dreamingMs: 100 });
		env.emulator.generations.get(others)!.account = OTHER_KEY;
		const [a, b] = await Promise.all([wait([{ id: ours, run: 'a' }]), wait([{ id: others, run: 'b' }], {}, { apiKey: OTHER_KEY })]);
		expect(idsOn(a, COMPLETED)).toEqual([[ours, 'a']]);
		expect(idsOn(b, COMPLETED)).toEqual([[others, 'b']]);
		for (const entry of fetches()) {
			const asked = idsOf(entry.url);
			expect(asked).toHaveLength(1);
			expect(entry.authorization).toBe(`Bearer ${asked[0] === ours ? TEST_KEY : OTHER_KEY}`);
		}
	});
});

describe('executions waiting together on the unified API', () => {
	const unified = useEmulator({ apis: 'unified' });

	test('three executions waiting for one id share one schedule: never more than one ask per interval', async () => {
		const id = unified.emulator.seed('one for all', { queuedMs: 200, dreamingMs: 300 }, 'unified');
		const results = await Promise.all(
			['a', 'b', 'c'].map((run) =>
				runWorkflow({
					nodes: [node('Trigger', TRIGGER_TYPE), node('Wait', WAIT_TYPE, { maxWaitSeconds: 21_600 })],
					connections: chain('Trigger', 'Wait'),
					items: items({ id, run }),
					credentials: unified.credentials,
				}),
			),
		);
		results.forEach((result, i) => expect(result.outputs('Wait')[COMPLETED].map((item) => [item.json.id, item.json.run])).toEqual([[id, ['a', 'b', 'c'][i]]]));
		const asks = unified.emulator.log.filter((entry) => entry.endpoint === 'fetchOne');
		// Asks of one schedule are at least an interval apart, as the server sees them (2 ms of timer rounding).
		const gaps = asks.slice(1).map((entry, i) => entry.at - asks[i].at);
		expect(gaps.length).toBeGreaterThan(0);
		expect(Math.min(...gaps)).toBeGreaterThanOrEqual(timing.unifiedPollMs - 2);
	});
});
