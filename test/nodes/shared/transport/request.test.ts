/** The transport's rules, seen through the nodes in n8n's real engine against the emulator. */
import * as timingModule from '../../../../nodes/shared/timing';
import { timing } from '../../../../nodes/shared/timing';
import { retryAfterMs } from '../../../../nodes/shared/transport';
import { chain, GENERATE_TYPE, items, logLines, node, runWorkflow, TRIGGER_TYPE, WAIT_TYPE } from '../../../helpers/engine';
import { TEST_KEY, useEmulator } from '../../../helpers/emulator';
import { withClockJump } from '../../../helpers/events';

const env = useEmulator();

function waitFor(id: string, extra: Record<string, unknown> = {}) {
	return runWorkflow({
		// Max Wait never ends a wait unless the test sets it: an outcome must not race the clock.
		nodes: [node('Trigger', TRIGGER_TYPE), node('Wait', WAIT_TYPE, { maxWaitSeconds: 21_600, ...extra })],
		connections: chain('Trigger', 'Wait'),
		items: items({ id }),
		credentials: env.credentials,
	});
}

function generateOne(prompt = 'A lighthouse at dawn', credentials = env.credentials) {
	return runWorkflow({
		// Max Wait in Create Queue at its largest: a create ends on its answers, not on a slow machine's clock.
		nodes: [node('Trigger', TRIGGER_TYPE), node('Generate', GENERATE_TYPE, { prompt, options: { maxQueueWaitMinutes: 1440 } })],
		connections: chain('Trigger', 'Generate'),
		items: items({}),
		credentials,
	});
}

describe('reads', () => {
	test('are retried through 5xx, 429 and a reset until they succeed', async () => {
		const id = env.emulator.seed('retry me', { queuedMs: 0, dreamingMs: 0 });
		env.emulator.failNext('fetchOne', '503', '429', 'reset', '500');
		const result = await waitFor(id);
		expect(result.error).toBeUndefined();
		expect(result.outputs('Wait')[0].map((item) => item.json.state)).toEqual(['completed']);
		expect(env.emulator.count('fetchOne')).toBe(5);
	});

	test('are retried a bounded number of times, further apart each time; the item then times out with the reason', async () => {
		const id = env.emulator.seed('never answered', { queuedMs: 0, dreamingMs: 0 });
		env.emulator.failNext('fetchOne', ...Array<'503'>(1000).fill('503'));
		// Max Wait in real seconds: it passes only when the clock jumps, once the node asked again
		// after a read gave up (its sixth fetch), however slowly the machine got there.
		timing.secondMs = 1_000;
		const fetched = () => env.emulator.log.filter((entry) => entry.endpoint === 'fetchOne');
		const result = await withClockJump(() => fetched().length >= 6, 30_000, () => waitFor(id, { maxWaitSeconds: 30 }));
		const [timedOut] = result.outputs('Wait')[2];
		expect(timedOut.json).toMatchObject({ id, timedOut: true, state: null });
		expect(timedOut.json.lastError).toMatch(/HTTP 503/);
		expect(result.outputs('Wait')[1]).toEqual([]);
		// One read is tried 5 times (retries 1 to 4 logged), then the wait asks again with a new read.
		const retries = logLines.map((line) => new RegExp(`^Fetching generation ${id}: HTTP 503, retry (\\d+) in`).exec(line.message)?.[1]).filter(Boolean);
		expect(Math.max(...retries.map(Number))).toBe(4);
		// The first read's tries, as the server saw them: each retry waits a backoff that doubles from
		// 1 s (10 ms on this clock, jittered down to half) after the answer, and the server saw the
		// try before that answer: a slow machine only adds to these gaps. (2 ms: timers and clocks round.)
		const gaps = fetched().slice(1, 5).map((entry, i) => entry.at - fetched()[i].at);
		gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual((timing.retryBaseMs * 2 ** i) / 2 - 2));
	});

	test('honour Retry-After', async () => {
		const id = env.emulator.seed('slow down', { queuedMs: 0, dreamingMs: 0 });
		env.emulator.configure({ faults: { retryAfterMs: 400 } });
		env.emulator.failNext('fetchOne', '429');
		// (Max Wait cannot end the wait first: a retry that would end after it is not made.)
		await waitFor(id);
		const [first, second] = env.emulator.log.filter((entry) => entry.endpoint === 'fetchOne');
		// The node waits the 400 ms after the 429 reached it, and the server saw the first request
		// before it answered: a slow machine can only add to this. (Timers round to the ms: 20 ms of slack.)
		expect(second.at - first.at).toBeGreaterThanOrEqual(380);
	});

	test('Retry-After is read in seconds and as an HTTP date', () => {
		const now = Date.parse('2026-11-24T10:00:00Z');
		expect(retryAfterMs('2', now)).toBe(2000);
		expect(retryAfterMs('0.5', now)).toBe(500);
		expect(retryAfterMs('Tue, 24 Nov 2026 10:00:07 GMT', now)).toBe(7000);
		expect(retryAfterMs('Tue, 24 Nov 2026 09:00:00 GMT', now)).toBe(0);
		expect(retryAfterMs('soon', now)).toBeUndefined();
		expect(retryAfterMs(undefined, now)).toBeUndefined();
	});
});

describe('creates', () => {
	test('are retried after 429 (the server did not accept them)', async () => {
		env.emulator.failNext('create', '429', '429');
		const result = await generateOne();
		expect(result.error).toBeUndefined();
		expect(result.outputs('Generate')[0]).toHaveLength(1);
		expect(env.emulator.count('create')).toBe(3);
		expect(env.emulator.acceptedCreates).toBe(1);
	});

	test('are retried after a refused connection (nothing was sent)', async () => {
		// The node learns the gateway's API first, so the create itself is what meets the refusal.
		expect((await generateOne('While the gateway is up')).error).toBeUndefined();
		await env.emulator.stop();
		const from = logLines.length;
		// The gateway comes back once the create was refused and a retry is planned: the retry's
		// pause ends only once the server listens again, however long that takes.
		const refused = (line: { message: string }) => /^Creating the generation for item 0: ECONNREFUSED, retry \d+ in/.test(line.message);
		let restarted: Promise<void> | undefined;
		const realPause = timingModule.pause;
		const pauses = jest.spyOn(timingModule, 'pause').mockImplementation(async (ms, signal) => {
			if (logLines.slice(from).some(refused)) await (restarted ??= env.emulator.start().then(() => undefined));
			return await realPause(ms, signal);
		});
		let result;
		try {
			result = await generateOne('Refused first');
		} finally {
			pauses.mockRestore();
		}
		expect(restarted).toBeDefined();
		expect(result.error).toBeUndefined();
		expect(result.outputs('Generate')[0][0].json.id).toEqual(expect.any(String));
		expect(env.emulator.createsByPrompt.get('Refused first')).toBe(1);
		expect(env.emulator.acceptedCreates).toBe(2);
	});

	test.each([
		['a 500 after the server accepted it', { kind: '500', afterAccept: true }, 1, /HTTP 500/],
		['a reset after the server accepted it', { kind: 'reset', afterAccept: true }, 1, /network error ECONNRESET/],
		['a 502 (the client cannot tell)', { kind: '502' }, 0, /HTTP 502/],
		['an unreadable 200', { kind: 'malformed', afterAccept: true }, 1, /not JSON/],
		['a timeout', { kind: 'hang', afterAccept: true }, 1, /network error ECONNABORTED/],
	] as const)('are never retried after an ambiguous failure: %s', async (_label, fault, accepted, cause) => {
		// Timeouts are not scaled: a server that never answers gets a short one, set here.
		if (fault.kind === 'hang') timing.requestTimeoutMs = 1_000;
		env.emulator.failNext('create', fault);
		const result = await generateOne();
		expect(env.emulator.count('create')).toBe(1);
		expect(env.emulator.acceptedCreates).toBe(accepted);
		expect(result.error?.message).toMatch(cause);
		expect(result.error?.message).toMatch(/may have been created and billed \(500,000 tokens\)/);
		expect(result.error?.description).toMatch(/not sent again/);
	});
});

describe('errors', () => {
	test('carry the server message, the status and the request id', async () => {
		const result = await waitFor('00000000-0000-4000-8000-000000000000');
		expect(result.error?.message).toMatch(/HTTP 404: Generation 00000000-0000-4000-8000-000000000000 not found/);
		expect(result.error?.description).toMatch(/does not know this generation.*Gateway request id: req-\d+/);
		expect((result.error as { httpCode?: string }).httpCode).toBe('404');
	});

	test('never contain the API key, even when the server echoes it', async () => {
		env.emulator.failNext('create', 'echo-auth');
		const result = await generateOne();
		const seen = JSON.stringify([result.error?.message, result.error?.description, result.run.data, logLines]);
		expect(result.error?.message).toMatch(/Bad request with header Bearer \[redacted\]/);
		expect(seen).not.toContain(TEST_KEY);
	});

	test('never reach an output, even when a successful answer echoes the key', async () => {
		env.emulator.failNext('create', { kind: 'echo-auth-ok', afterAccept: true });
		const result = await generateOne();
		const [item] = result.outputs('Generate')[0];
		expect(item.json.id).toEqual(expect.any(String));
		expect(item.json.generation).toMatchObject({ debug: { authorization: 'Bearer [redacted]' } });
		expect(JSON.stringify([result.run.data, logLines])).not.toContain(TEST_KEY);
	});
});
