/** Luma Wait in n8n's real engine against the emulator: how it waits, routes, counts and stops. */
import type { INode } from 'n8n-workflow';

import type { EmulatorOptions, Shape, WaitParam } from '../../emulator/emulator';
import { SAMPLE_MP4 } from '../../emulator/emulator';
import { binaryBuffer, chain, items, logLines, node, runWorkflow, TRIGGER_TYPE, WAIT_TYPE } from '../../helpers/engine';
import { TEST_KEY, useEmulator } from '../../helpers/emulator';
import { until, withClockJump } from '../../helpers/events';
import { timing } from '../../../nodes/shared/timing';

const env = useEmulator();
const COMPLETED = 0;
const FAILED = 1;
const TIMED_OUT = 2;
/** Longer than any test runs (ms), and than the clock jumps ahead. */
const NEVER = 10_000_000;

function wait(parameters: INode['parameters'], inputs: Array<Record<string, unknown>>, nodeExtra: Partial<INode> = {}, cancelOn?: Promise<unknown>) {
	return runWorkflow({
		// Max Wait never ends a wait unless the test sets it: an outcome must not race the clock.
		nodes: [node('Trigger', TRIGGER_TYPE), { ...node('Wait', WAIT_TYPE, { maxWaitSeconds: 21_600, ...parameters }), ...nodeExtra }],
		connections: chain('Trigger', 'Wait'),
		items: items(...inputs),
		credentials: env.credentials,
		cancelOn,
	});
}

/** The fetches the node sent (the gateway checks are logged apart, as `probe`). */
const asked = () => env.emulator.log.filter((entry) => entry.endpoint === 'fetchOne' || entry.endpoint === 'fetchMany');

describe('routing by state', () => {
	test('Wait Until Completed: queued → dreaming → completed goes to Completed; a failure goes to Failed with its reason', async () => {
		const ok = env.emulator.seed('a calm lake');
		const bad = env.emulator.seed('a banned thing [fail]');
		const result = await wait({}, [{ id: ok, row: 'a' }, { id: bad, row: 'b' }]);
		const out = result.outputs('Wait');
		expect(out[COMPLETED].map((item) => [item.json.id, item.json.state, item.json.row])).toEqual([[ok, 'completed', 'a']]);
		expect(out[COMPLETED][0].json.videoUrl).toBe(`${env.emulator.baseUrl}/assets/${ok}.mp4`);
		expect(out[FAILED].map((item) => [item.json.id, item.json.state, item.json.failureReason])).toEqual([[bad, 'failed', 'Contains blacklisted words']]);
		expect(out[TIMED_OUT]).toEqual([]);
		expect(out[COMPLETED][0].pairedItem).toEqual({ item: 0 });
		expect(out[FAILED][0].pairedItem).toEqual({ item: 1 });
	});

	test('Wait Until Dreaming ends on dreaming, and also on completed or failed', async () => {
		const starting = env.emulator.seed('starting', { queuedMs: 50, dreamingMs: 100_000 });
		const done = env.emulator.seed('already done', { queuedMs: 0, dreamingMs: 0 });
		const failed = env.emulator.seed('already failed [fail-moderation]', { queuedMs: 0, dreamingMs: 0 });
		const result = await wait({ waitUntil: 'dreaming' }, [{ id: starting }, { id: done }, { id: failed }]);
		const out = result.outputs('Wait');
		expect(out[COMPLETED].map((item) => [item.json.id, item.json.state])).toEqual([[starting, 'dreaming'], [done, 'completed']]);
		expect(out[FAILED].map((item) => [item.json.id, item.json.failureReason])).toEqual([[failed, 'Frame moderation failed']]);
	});

	test('a generation slower than Max Wait lands in Timed Out with its id and last state', async () => {
		const slow = env.emulator.seed('glacial', { queuedMs: NEVER });
		// Max Wait in real seconds: only the clock's jump, once the node has had an answer (it asks
		// again only after one), can end it.
		timing.secondMs = 1_000;
		const result = await withClockJump(
			() => asked().length >= 2,
			50_000,
			() => wait({ maxWaitSeconds: 50 }, [{ id: slow, keep: 'me' }]),
		);
		expect(result.outputs('Wait')[TIMED_OUT]).toEqual([
			{ json: { id: slow, keep: 'me', state: 'queued', timedOut: true, waitedSeconds: expect.any(Number) }, pairedItem: { item: 0 } },
		]);
		expect(result.outputs('Wait')[TIMED_OUT][0].json.waitedSeconds).toBeGreaterThanOrEqual(50);
	});

	test('an item back from an earlier Timed Out (the park-and-wait-again loop) sheds those fields; its known state holds', async () => {
		const done = env.emulator.seed('finished meanwhile', { queuedMs: 0, dreamingMs: 0 });
		const earlier = { timedOut: true, waitedSeconds: 240, lastError: 'HTTP 503', giveUpAt: '2026-11-26T03:00:00Z' };
		const result = await wait({}, [{ id: done, state: 'dreaming', ...earlier }]);
		const [item] = result.outputs('Wait')[COMPLETED];
		expect(item.json).toMatchObject({ id: done, state: 'completed', giveUpAt: earlier.giveUpAt });
		expect(item.json).not.toHaveProperty('timedOut');
		expect(item.json).not.toHaveProperty('waitedSeconds');
		expect(item.json).not.toHaveProperty('lastError');

		// A window with no answer at all (the server hangs): the state the item had is kept, not nulled.
		const slow = env.emulator.seed('still going', { queuedMs: 100_000 });
		env.emulator.configure({ faults: { hang: 1, on: ['fetchOne', 'fetchMany'] } });
		const again = await wait({ maxWaitSeconds: 50 }, [{ id: slow, state: 'queued', ...earlier }]);
		expect(again.outputs('Wait')[TIMED_OUT][0].json).toMatchObject({ id: slow, state: 'queued', timedOut: true });
	});

	test('the same id on several items is asked about once and routed for each item', async () => {
		const id = env.emulator.seed('shared');
		const result = await wait({}, [{ id, n: 1 }, { id, n: 2 }]);
		expect(result.outputs('Wait')[COMPLETED].map((item) => item.json.n)).toEqual([1, 2]);
		expect(env.emulator.count('fetchMany')).toBe(0);
	});
});

describe('every API shape docs/API.md allows', () => {
	const matrix: Array<[Shape, 'array' | 'object', WaitParam]> = [
		['upstream', 'array', 'schema'],
		['upstream', 'object', 'both'],
		['status-field', 'array', 'state'],
		['status-field', 'object', 'status'],
		['video-object', 'array', 'schema'],
		['video-url', 'object', 'schema'],
		['suffixed-id', 'array', 'schema'],
		['suffixed-id', 'object', 'none'],
	];
	test.each(matrix)('shape %s, fetch-many as %s, wait parameter %s', async (shape, manyShape, waitParam) => {
		env.emulator.configure({ shape, manyShape, waitParam } as EmulatorOptions);
		const ok = env.emulator.seed('fine');
		const bad = env.emulator.seed('not fine [fail]');
		const result = await wait({}, [{ id: ok }, { id: bad }]);
		const out = result.outputs('Wait');
		expect(out[COMPLETED].map((item) => item.json.id)).toEqual([ok]);
		expect(out[COMPLETED][0].json.videoUrl).toMatch(/\/assets\/.*\.mp4$/);
		expect(out[FAILED].map((item) => [item.json.id, item.json.failureReason])).toEqual([[bad, 'Contains blacklisted words']]);
		expect(out[FAILED][0].json.generation).toEqual(expect.objectContaining({ id: bad }));
	});
});

describe('request counts', () => {
	test('a long wait costs one fetch per hold window: each is held a whole window, the last answered when the generation completes', async () => {
		const id = env.emulator.seed('four windows', { queuedMs: NEVER });
		// The generation completes while the fourth fetch is held, after three whole windows.
		const completes = until(() => asked().filter((entry) => entry.hold === 'capped').length >= 3 && env.emulator.holding === 1).then(() =>
			env.emulator.finish(id),
		);
		const result = await wait({}, [{ id }]);
		await completes;
		expect(result.outputs('Wait')[COMPLETED].map((item) => item.json.id)).toEqual([id]);
		const holds = asked().map((entry) => entry.hold);
		expect(holds.length).toBeGreaterThanOrEqual(4);
		expect(holds).toEqual([...holds.slice(0, -1).map(() => 'capped'), 'reached']);
	});

	// As for one generation: one fetch per hold window per 50 ids, plus the one that brings the
	// answer. Generations seeded a moment apart finish a moment apart; a server answering when
	// *any* id is ready must not cost a fetch per straggler. (The server holds each fetch a whole
	// window: a slow machine can only make the count smaller.)
	test.each(['any', 'all'] as const)('100 generations cost at most ceil(100/50) fetches per hold window (fetch-many answers on %s)', async (manyReturns) => {
		env.emulator.configure({ manyReturns });
		const ids = Array.from({ length: 100 }, (_, i) => env.emulator.seed(`many ${i}`, { queuedMs: 600 + i / 10, dreamingMs: 550 }));
		const windows = Math.ceil((600 + 550) / env.emulator.options.holdMs);
		const result = await wait({}, ids.map((id) => ({ id })));
		expect(result.outputs('Wait')[COMPLETED]).toHaveLength(100);
		expect(env.emulator.count('fetchOne')).toBe(0);
		expect(env.emulator.count('fetchMany')).toBeLessThanOrEqual(Math.ceil(100 / 50) * (windows + 1));
	});

	test('a server that ignores the wait parameter gets at most one fetch per pause', async () => {
		env.emulator.configure({ waitParam: 'none' });
		const id = env.emulator.seed('impatient server', { queuedMs: 300, dreamingMs: 400 });
		await wait({}, [{ id }]);
		const fetched = env.emulator.log.filter((entry) => entry.endpoint === 'fetchOne');
		// Pauses start at 1 s and grow to 5 s (10 ms to 50 ms on this 100x clock), counted from each
		// question. The node asks only once it has the answer to the question before, so any three
		// questions in a row span at least one pause as the server sees them, however slow the
		// machine; a tight loop would ask three times within a few milliseconds. (Timers and
		// Date.now() round to the millisecond: 2 ms of slack.)
		const spans = fetched.slice(2).map((entry, i) => entry.at - fetched[i].at);
		// Math.min of nothing is Infinity: the check below means something only with three questions or more.
		expect(spans.length).toBeGreaterThan(0);
		expect(Math.min(...spans)).toBeGreaterThanOrEqual(timing.pollPauseMinMs - 2);
		// Over the generation's life (700 ms from its creation) those pauses allow at most about 18 questions.
		expect(fetched.length).toBeLessThanOrEqual(Math.ceil(700 / 10) / 3);
	});

	test('early answers below the target are followed by a pause, not a tight loop', async () => {
		env.emulator.configure({ earlyReturnRate: 1 });
		const ids = Array.from({ length: 3 }, (_, i) => env.emulator.seed(`early ${i}`, { queuedMs: 200, dreamingMs: 300 }));
		const result = await wait({}, ids.map((id) => ({ id })));
		expect(result.outputs('Wait')[COMPLETED]).toHaveLength(3);
		expect(env.emulator.count('fetchMany')).toBeLessThanOrEqual(20);
	});
});

describe('fall-back and errors', () => {
	test('when fetch-many is refused, ids are fetched one by one without failing', async () => {
		env.emulator.configure({ manyEndpoint: 'refused' });
		const ids = [env.emulator.seed('one'), env.emulator.seed('two'), env.emulator.seed('three [fail]')];
		const result = await wait({}, ids.map((id) => ({ id })));
		const out = result.outputs('Wait');
		expect(out[COMPLETED].map((item) => item.json.id)).toEqual(ids.slice(0, 2));
		expect(out[FAILED].map((item) => item.json.id)).toEqual([ids[2]]);
		expect(env.emulator.count('fetchMany')).toBe(1);
		expect(env.emulator.count('fetchOne')).toBeGreaterThanOrEqual(3);
	});

	test('an id the server does not know is an item error, not a hang', async () => {
		const known = env.emulator.seed('known');
		const unknown = '11111111-2222-4333-8444-555555555555';
		const result = await wait({}, [{ id: known }, { id: unknown }], { onError: 'continueRegularOutput' });
		const out = result.outputs('Wait');
		expect(out[COMPLETED].map((item) => item.json.id)).toEqual([known]);
		expect(out[FAILED]).toEqual([
			{
				json: { id: unknown, error: `Fetching generation ${unknown} failed with HTTP 404: Generation ${unknown} not found` },
				pairedItem: { item: 1 },
			},
		]);
	});

	test('without continue-on-fail the unknown id stops the workflow with a clear message', async () => {
		const unknown = '11111111-2222-4333-8444-555555555555';
		const result = await wait({}, [{ id: unknown }]);
		expect(result.error?.message).toBe(`Fetching generation ${unknown} failed with HTTP 404: Generation ${unknown} not found`);
	});

	test('a transient failure never routes an item to Failed', async () => {
		const id = env.emulator.seed('bumpy road');
		env.emulator.failNext('fetchOne', '503', 'reset', '502', '504', '408', 'malformed', 'html', 'empty');
		const result = await wait({}, [{ id }]);
		expect(result.outputs('Wait')[COMPLETED].map((item) => item.json.id)).toEqual([id]);
		expect(result.outputs('Wait')[FAILED]).toEqual([]);
	});

	test.each([
		['zero Max Wait', { maxWaitSeconds: 0 }, 'Max Wait (Seconds) is 0 seconds, outside 1 to 21,600 [item 0]'],
		['negative Max Wait', { maxWaitSeconds: -5 }, 'Max Wait (Seconds) is -5 seconds, outside 1 to 21,600 [item 0]'],
		['absurd Max Wait', { maxWaitSeconds: 1e9 }, 'Max Wait (Seconds) is 1000000000 seconds, outside 1 to 21,600 [item 0]'],
		['Wait Until failed', { waitUntil: 'failed' }, 'Wait Until "failed" is not a valid value [item 0]'],
		['an empty binary field name', { downloadVideo: true, binaryPropertyName: ' ' }, 'Put Output File in Field is empty [item 0]'],
		['an id that is not a UUID', { generationId: 'video-42' }, 'Generation ID "video-42" is not a generation ID [item 0]'],
		['an empty id', { generationId: '={{ "" }}' }, 'Generation ID is empty [item 0]'],
	])('bad input: %s', async (_label, parameters, message) => {
		const result = await wait(parameters, [{ id: '0f3ea4aa-10e7-4dae-af0b-263ab4ac45f9' }]);
		expect(result.error?.message).toBe(message);
		expect(env.emulator.log).toHaveLength(0);
		expect(JSON.stringify([result.error?.message, result.error?.description, result.run.data, logLines])).not.toContain(TEST_KEY);
	});
});

describe('cancel', () => {
	test('stopping the execution mid-wait ends the node while the server still holds its request; no request follows', async () => {
		// Nothing but the cancel can end this wait: the generation, the server's hold, the client's
		// long-poll timeout and Max Wait all outlast the test.
		env.emulator.configure({ holdMs: NEVER });
		timing.longPollTimeoutMs = NEVER;
		const id = env.emulator.seed('forever', { queuedMs: NEVER });
		let requestsAtCancel = -1;
		// Stop is pressed once the node's long poll is held by the server.
		const held = until(() => env.emulator.holding === 1).then(() => (requestsAtCancel = env.emulator.log.length));
		const result = await wait({}, [{ id }], {}, held);
		expect(result.error?.message).toBe('The execution was cancelled');
		const asked = env.emulator.log.filter((entry) => entry.endpoint === 'fetchOne' || entry.endpoint === 'fetchMany');
		expect(asked).toHaveLength(1);
		// Never answered: the node let go of it rather than waiting the hold out.
		expect(asked[0].hold).toBeUndefined();
		// The node closed it, and asked nothing after the cancel.
		await until(() => env.emulator.holding === 0);
		expect(env.emulator.log).toHaveLength(requestsAtCancel);
	});
});

describe('Download Video', () => {
	test('gives the MP4 as binary data whose bytes equal the emulator\'s', async () => {
		const id = env.emulator.seed('download me');
		const result = await wait({ downloadVideo: true, binaryPropertyName: 'video' }, [{ id }]);
		const [item] = result.outputs('Wait')[COMPLETED];
		expect(item.binary?.video).toMatchObject({ mimeType: 'video/mp4', fileName: `${id}.mp4`, fileExtension: 'mp4' });
		expect((await binaryBuffer(item.binary!.video)).equals(SAMPLE_MP4)).toBe(true);
		expect(item.json.videoUrl).toBe(`${env.emulator.baseUrl}/assets/${id}.mp4`);
	});

	test('sends the API key only to the API\'s own host', async () => {
		const id = env.emulator.seed('same host');
		await wait({ downloadVideo: true }, [{ id }]);
		env.emulator.configure({ assetOrigin: env.emulator.baseUrl.replace('127.0.0.1', 'localhost') });
		const other = env.emulator.seed('other host');
		const result = await wait({ downloadVideo: true }, [{ id: other }]);
		expect(result.outputs('Wait')[COMPLETED][0].binary?.data).toBeDefined();
		const assets = env.emulator.log.filter((entry) => entry.endpoint === 'asset');
		expect(assets.map((entry) => [entry.url.includes(id) ? 'api host' : 'other host', entry.authorization !== undefined])).toEqual([
			['api host', true],
			['other host', false],
		]);
	});

	test('a failed download keeps the id and URL in the error', async () => {
		const id = env.emulator.seed('broken asset');
		env.emulator.failNext('asset', '404');
		const result = await wait({ downloadVideo: true }, [{ id }]);
		expect(result.error?.message).toBe(
			`Downloading the video for item 0 failed with HTTP 404: Injected 404 (generation ${id} completed; video URL: ${env.emulator.baseUrl}/assets/${id}.mp4)`,
		);
	});
});
