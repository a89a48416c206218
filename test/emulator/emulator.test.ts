/**
 * The emulator keeps the API contract of docs/API.md, and each unknown is a switch (§10).
 * No test here depends on a timer firing on time or on work ending within a wall-clock window:
 * waits are for events (a request held, a callback received), and how a long poll was answered is
 * read from the emulator's log (`hold`), not from a stopwatch.
 */
import http from 'node:http';

import type { ApiFlavour, EmulatorOptions } from './emulator';
import { GENERATION_PATH, GENERATIONS_PATH, LumaEmulator, PROBE_ID, SAMPLE_MP4, UNIFIED_PATH } from './emulator';
import type { UnifiedCreateBody } from './validate-unified';
import { unifiedPrice } from './validate-unified';

const KEY = 'emu-key';
const NEVER = 600_000; // a timeline that does not move during a test
let emulator: LumaEmulator;

/** Both APIs unless a test says otherwise, whatever LUMA_EMULATOR_APIS is set to for other suites. */
async function start(options: EmulatorOptions = {}) {
	emulator = await new LumaEmulator({ apis: 'both', keys: [KEY], holdMs: 300, queuedMs: 100, dreamingMs: 200, ...options }).start();
}
afterEach(async () => emulator?.stop());

async function call(path: string, init: RequestInit & { key?: string | null } = {}) {
	const headers: Record<string, string> = { 'Content-Type': 'application/json' };
	if (init.key !== null) headers.Authorization = `Bearer ${init.key ?? KEY}`;
	const res = await fetch(`${emulator.baseUrl}${path}`, { ...init, headers });
	const text = await res.text();
	let body: any = text;
	try {
		body = JSON.parse(text);
	} catch {
		// not JSON
	}
	return { status: res.status, body, headers: res.headers };
}

const create = (body: unknown) => call(GENERATION_PATH, { method: 'POST', body: JSON.stringify(body) });
const one = (id: string, query = '') => call(`${GENERATION_PATH}?generation_id=${id}${query}`);
const ucreate = (body: unknown) => call(UNIFIED_PATH, { method: 'POST', body: JSON.stringify(body) });
const ufetch = (id: string, query = '') => call(`${UNIFIED_PATH}?generation_id=${id}${query}`);
/** The log entry of the last request to `endpoint`. */
const last = (endpoint: string) => emulator.log.filter((entry) => entry.endpoint === endpoint).pop()!;

/** Resolves when `condition` holds; no deadline of its own (the test's timeout is the only one). */
async function until(condition: () => boolean): Promise<void> {
	while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('auth', () => {
	beforeEach(() => start());
	test('the right key is accepted; no key or a wrong key gets 401 in the gateway error shape, on both APIs', async () => {
		expect((await create({ prompt: 'abc' })).status).toBe(201);
		expect((await ucreate({ model: 'luma/ray-2', prompt: 'abc' })).status).toBe(201);
		for (const path of [GENERATION_PATH, UNIFIED_PATH]) {
			for (const key of [null, 'wrong']) {
				const refused = await call(path, { method: 'POST', body: '{"model":"luma/ray-2","prompt":"abc"}', key });
				expect(refused.status).toBe(401);
				expect(Object.keys(refused.body).sort()).toEqual(['message', 'path', 'requestId', 'statusCode', 'timestamp']);
			}
		}
		expect(emulator.acceptedCreates).toBe(2);
	});
});

describe('create validation (docs/API.md §2)', () => {
	beforeEach(() => start());
	test.each(
		[
			[{}, 'Required at "prompt"'],
			[{ prompt: 'ab' }, 'at least 3'],
			[{ prompt: 'x'.repeat(5001) }, 'at most 5000'],
			[{ prompt: 'abc', aspect_ratio: '19:9' }, "Invalid enum value. Expected '1:1' | '16:9' | '9:16' | '4:3' | '3:4' | '21:9' | '9:21', received '19:9'"],
			[{ prompt: 'abc', model: 'ray-3' }, 'Invalid enum value'],
			[{ prompt: 'abc', resolution: '8k' }, 'Invalid enum value'],
			[{ prompt: 'abc', duration: '7s' }, 'Invalid enum value'],
			[{ prompt: 'abc', keywords: {} }, "Unrecognized key(s) in object: 'keywords'"],
			[{ prompt: 'abc', keyframes: { frame0: { type: 'generation', id: 'nope' } } }, 'Invalid uuid'],
			[{ prompt: 'abc', keyframes: { frame0: { type: 'image', url: 'ftp://x' } } }, 'Invalid url'],
			[{ prompt: 'abc', loop: true, keyframes: { frame1: { type: 'image', url: 'https://x/y.png' } } }, 'loop is not supported with an end frame'],
			[{ prompt: 'abc', callback_url: 'not a url' }, 'Invalid url at "callback_url"'],
		].map(([body, message]) => [JSON.stringify(body).slice(0, 70), body, message] as const),
	)('%s is refused with 400', async (_label, body, message) => {
		const { status, body: answer } = await create(body);
		expect(status).toBe(400);
		expect(answer.message).toContain(message);
		expect(emulator.acceptedCreates).toBe(0);
	});

	test('extend only from a completed generation of this API', async () => {
		const { body: source } = await create({ prompt: 'source' });
		const early = await create({ prompt: 'more', keyframes: { frame0: { type: 'generation', id: source.id } } });
		expect(early.status).toBe(400);
		expect(early.body.message).toContain('not completed');
		emulator.finish(source.id);
		const later = await create({ prompt: 'more', keyframes: { frame0: { type: 'generation', id: source.id } } });
		expect(later.status).toBe(201);

		const unified = emulator.seed('made on the unified API', { queuedMs: 0, dreamingMs: 0 }, 'unified');
		const across = await create({ prompt: 'more', keyframes: { frame0: { type: 'generation', id: unified } } });
		expect(across.status).toBe(400);
		expect(across.body.message).toBe(`Generation ${unified} not found`);
	});
});

describe('the long poll (docs/API.md §3.1)', () => {
	test('holds until the target is reached, then answers with it', async () => {
		await start({ holdMs: NEVER, queuedMs: NEVER, dreamingMs: NEVER });
		const { body } = await create({ prompt: 'hold me' });
		const pending = one(body.id, '&state=completed');
		await until(() => emulator.holding === 1);
		// The target comes 50 ms later: a timer answers, after the clock says so.
		emulator.finish(body.id, 'completed', 50);
		const answer = await pending;
		expect(answer.body.state).toBe('completed');
		expect(last('fetchOne').hold).toBe('reached');
	});

	test('caps the hold, never before holdMs', async () => {
		await start();
		const slow = await create({ prompt: 'slow [slow]' });
		const capped = await one(slow.body.id, '&state=completed');
		expect(capped.body.state).toBe('queued');
		const entry = last('fetchOne');
		expect(entry.hold).toBe('capped');
		// Read from the emulator's own clock: the answer is sent only once it reads the cap as passed.
		expect(entry.doneAt! - entry.at).toBeGreaterThanOrEqual(300);
	});

	test('answers at once on a later state: waiting for completed answers a failure', async () => {
		await start();
		const failing = await create({ prompt: 'bad [fail]' });
		emulator.finish(failing.body.id, 'failed', 0, 'Contains blacklisted words');
		const failedEarly = await one(failing.body.id, '&state=completed');
		expect(failedEarly.body.state).toBe('failed');
		expect(failedEarly.body.failure_reason).toBe('Contains blacklisted words');
		expect(last('fetchOne').hold).toBe('at-once');
	});

	test('a finish() answers a held poll without waiting for the cap', async () => {
		await start({ holdMs: NEVER, queuedMs: NEVER, dreamingMs: NEVER });
		const { body } = await create({ prompt: 'finish me' });
		const pending = one(body.id, '&state=completed');
		await until(() => emulator.holding === 1);
		emulator.finish(body.id, 'failed', 0, 'Frame moderation failed');
		expect((await pending).body.failure_reason).toBe('Frame moderation failed');
		expect(emulator.holding).toBe(0);
	});

	test('waiting for failed is refused; no wait answers at once; unknown id is 404', async () => {
		await start({ queuedMs: NEVER });
		const { body } = await create({ prompt: 'abc' });
		expect((await one(body.id, '&state=failed')).status).toBe(400);
		const now = await one(body.id);
		expect(now.body.state).toBe('queued');
		expect(last('fetchOne').hold).toBe('at-once');
		const unknown = await one('11111111-1111-4111-8111-111111111111');
		expect(unknown.status).toBe(404);
		expect(unknown.body.message).toBe('Generation 11111111-1111-4111-8111-111111111111 not found');
	});

	test('a completed generation serves a playable MP4', async () => {
		await start();
		const { body } = await create({ prompt: 'abc' });
		emulator.finish(body.id, 'completed', 50);
		const done = await one(body.id, '&state=completed');
		const video = await fetch(done.body.assets.video);
		expect(video.headers.get('content-type')).toBe('video/mp4');
		expect(Buffer.from(await video.arrayBuffer()).equals(SAMPLE_MP4)).toBe(true);
		expect(SAMPLE_MP4.subarray(4, 8).toString('ascii')).toBe('ftyp');
	});
});

describe('fetch many (docs/API.md §3.2)', () => {
	test('both id forms, array or object, any or all', async () => {
		await start({ manyShape: 'object', manyReturns: 'all' });
		const a = (await create({ prompt: 'first' })).body.id;
		emulator.finish(a, 'completed', 0);
		const b = (await create({ prompt: 'second' })).body.id;
		// "all": held until b completed too (an "any" would answer at once with b below the target).
		const repeated = await call(`${GENERATIONS_PATH}?generation_ids[]=${a}&generation_ids[]=${b}&status=completed`);
		expect(repeated.body.generations.map((g: any) => g.state)).toEqual(['completed', 'completed']);
		const comma = await call(`${GENERATIONS_PATH}?generation_ids=${a},${b}`);
		expect(comma.body.generations).toHaveLength(2);

		emulator.configure({ manyShape: 'array', manyReturns: 'any', queuedMs: NEVER });
		const c = (await create({ prompt: 'third' })).body.id;
		const any = await call(`${GENERATIONS_PATH}?generation_ids[]=${a}&generation_ids[]=${c}&status=completed`);
		expect(Array.isArray(any.body)).toBe(true);
		expect(any.body.map((g: any) => g.state)).toEqual(['completed', 'queued']);
		expect(last('fetchMany').hold).toBe('at-once');
	});

	test('the refused switch answers 404', async () => {
		await start({ manyEndpoint: 'refused' });
		const a = (await create({ prompt: 'first' })).body.id;
		expect((await call(`${GENERATIONS_PATH}?generation_ids[]=${a}`)).status).toBe(404);
	});
});

describe('switches', () => {
	test('shapes', async () => {
		for (const [shape, check] of [
			['status-field', (g: any) => expect(g.status).toBe('completed')],
			['video-object', (g: any) => expect(g.video.url).toContain('.mp4')],
			['video-url', (g: any) => expect(g.video_url).toContain('.mp4')],
			['suffixed-id', (g: any) => expect(g.id).toMatch(/:luma\/ray-2$/)],
		] as const) {
			await start({ shape });
			const { body } = await create({ prompt: 'abc' });
			emulator.finish(body.id);
			check((await one(body.id)).body);
			await emulator.stop();
		}
	});

	test('which wait parameter is honoured', async () => {
		await start({ waitParam: 'status', holdMs: NEVER, queuedMs: NEVER, dreamingMs: NEVER });
		const { body } = await create({ prompt: 'abc' });
		expect((await one(body.id, '&state=completed')).body.state).toBe('queued');
		expect(last('fetchOne').hold).toBe('at-once');
		const pending = one(body.id, '&status=dreaming');
		await until(() => emulator.holding === 1);
		emulator.startDreaming(body.id);
		expect((await pending).body.state).toBe('dreaming');
		emulator.configure({ waitParam: 'none' });
		expect((await one(body.id, '&state=completed&status=completed')).body.state).toBe('dreaming');
		expect(last('fetchOne').hold).toBe('at-once');
	});

	test('scripted faults, rate limit and credits', async () => {
		await start({ createLimit: { count: 2, windowMs: 1000 }, credits: 3 });
		emulator.failNext('create', '503', 'malformed');
		expect((await create({ prompt: 'abc' })).status).toBe(503);
		expect((await create({ prompt: 'abc' })).body).toBe('{"id": "broken", "state": ');
		expect((await create({ prompt: 'one' })).status).toBe(201);
		expect((await create({ prompt: 'two' })).status).toBe(201);
		const limited = await create({ prompt: 'three' });
		expect(limited.status).toBe(429);
		expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
		expect(emulator.acceptedCreates).toBe(2);
		expect(emulator.count('create')).toBe(5);
	});

	test('a restart keeps generations', async () => {
		await start();
		const { body } = await create({ prompt: 'survivor' });
		await emulator.restart();
		expect((await one(body.id)).status).toBe(200);
	});
});

describe('API flavours (issue 18)', () => {
	const routes = [
		['luma', 'POST', GENERATION_PATH],
		['luma', 'GET', `${GENERATION_PATH}?generation_id=11111111-1111-4111-8111-111111111111`],
		['luma', 'GET', `${GENERATIONS_PATH}?generation_ids=11111111-1111-4111-8111-111111111111`],
		['unified', 'POST', UNIFIED_PATH],
		['unified', 'GET', `${UNIFIED_PATH}?generation_id=11111111-1111-4111-8111-111111111111`],
	] as const;

	test.each(['luma', 'unified', 'both'] as ApiFlavour[])('apis: %s serves its routes; the others do not exist (404 "Cannot METHOD /path")', async (apis) => {
		await start({ apis });
		for (const [api, method, path] of routes) {
			const create = api === 'luma' ? { prompt: 'abc' } : { model: 'luma/ray-2', prompt: 'abc' };
			const answer = await call(path, { method, body: method === 'POST' ? JSON.stringify(create) : undefined });
			const pathname = path.split('?')[0];
			if (apis === 'both' || apis === api) {
				// The route exists: a create is accepted, an unknown generation is named as such.
				expect([201, 404]).toContain(answer.status);
				if (answer.status === 404) expect(answer.body.message).toBe('Generation 11111111-1111-4111-8111-111111111111 not found');
				expect(last(method === 'POST' ? 'create' : pathname === GENERATIONS_PATH ? 'fetchMany' : 'fetchOne').api).toBe(api);
			} else {
				expect(answer.status).toBe(404);
				expect(answer.body.message).toBe(`Cannot ${method} ${pathname}`);
				expect(answer.body.path).toBe(pathname);
				expect(emulator.log.at(-1)).toMatchObject({ endpoint: 'other', api: undefined });
			}
		}
		// An unknown path is the same on every flavour; so is another method on a served path.
		expect((await call('/v2/nothing/here')).body.message).toBe('Cannot GET /v2/nothing/here');
		expect((await call(UNIFIED_PATH, { method: 'DELETE' })).body.message).toBe(`Cannot DELETE ${UNIFIED_PATH}`);
		expect(emulator.acceptedCreates).toBe(apis === 'both' ? 2 : 1);
	});

	test('a missing route is answered whatever the key, as a router does before any guard', async () => {
		await start({ apis: 'unified' });
		const answer = await call(GENERATION_PATH, { method: 'POST', body: '{"prompt":"abc"}', key: null });
		expect(answer.status).toBe(404);
		expect(answer.body.message).toBe(`Cannot POST ${GENERATION_PATH}`);
	});

	test('the default flavour comes from LUMA_EMULATOR_APIS, else both; a bad value is refused', () => {
		const saved = process.env.LUMA_EMULATOR_APIS;
		try {
			delete process.env.LUMA_EMULATOR_APIS;
			expect(new LumaEmulator().options.apis).toBe('both');
			process.env.LUMA_EMULATOR_APIS = 'unified';
			expect(new LumaEmulator().options.apis).toBe('unified');
			expect(new LumaEmulator({ apis: undefined }).options.apis).toBe('unified');
			expect(new LumaEmulator({ apis: 'luma' }).options.apis).toBe('luma');
			process.env.LUMA_EMULATOR_APIS = 'seed';
			expect(() => new LumaEmulator()).toThrow('LUMA_EMULATOR_APIS must be one of luma, unified, both');
		} finally {
			if (saved === undefined) delete process.env.LUMA_EMULATOR_APIS;
			else process.env.LUMA_EMULATOR_APIS = saved;
		}
	});

	test('the flavour can change on a running emulator, and a path prefix applies to both APIs', async () => {
		await start({ apis: 'luma', pathPrefix: '/gw' });
		expect((await call(`/gw${UNIFIED_PATH}`, { method: 'POST', body: '{"model":"luma/ray-2","prompt":"abc"}' })).body.message).toBe(
			`Cannot POST /gw${UNIFIED_PATH}`,
		);
		emulator.configure({ apis: 'unified' });
		expect((await call(`/gw${UNIFIED_PATH}`, { method: 'POST', body: '{"model":"luma/ray-2","prompt":"abc"}' })).status).toBe(201);
		expect((await call(`/gw${GENERATION_PATH}`, { method: 'POST', body: '{"prompt":"abc"}' })).body.message).toBe(`Cannot POST /gw${GENERATION_PATH}`);
	});
});

describe('unified create validation (docs/API.md §4.1)', () => {
	beforeEach(() => start());
	const ray2 = { model: 'luma/ray-2', prompt: 'a cat' };
	const ray3 = { model: 'luma/ray-3.2', prompt: 'a cat' };
	const video = 'https://example.com/source.mp4';
	const image = 'https://example.com/start.png';
	test.each(
		[
			[{}, 'Required at "model"'],
			[{ prompt: 'a cat' }, 'Required at "model"'],
			[{ ...ray2, model: 'luma/ray-1-6' }, "Invalid enum value. Expected 'luma/ray-2' | 'luma/ray-flash-2' | 'luma/ray-3.2', received 'luma/ray-1-6' at \"model\""],
			[{ ...ray2, model: 'ray-2' }, "received 'ray-2' at \"model\""],
			[{ model: 'luma/ray-2' }, 'Required at "prompt"'],
			[{ ...ray3, prompt: 'ab' }, 'String must contain at least 3 character(s) at "prompt"'],
			[{ ...ray2, prompt: 'x'.repeat(5001) }, 'String must contain at most 5000 character(s) at "prompt"'],
			[{ ...ray2, prompt: 42 }, 'Expected string, received number at "prompt"'],
			[{ ...ray2, callback_url: 'http://127.0.0.1:1/hook' }, "Unrecognized key(s) in object: 'callback_url'"],
			[{ ...ray3, callback_url: 'http://127.0.0.1:1/hook' }, "Unrecognized key(s) in object: 'callback_url'"],
			[{ ...ray2, keywords: {} }, "Unrecognized key(s) in object: 'keywords'"],
			[{ ...ray2, aspect_ratio: '19:9' }, "Expected '1:1' | '16:9' | '9:16' | '4:3' | '3:4' | '21:9' | '9:21', received '19:9' at \"aspect_ratio\""],
			[{ ...ray3, aspect_ratio: '9:21' }, "Expected '9:16' | '3:4' | '1:1' | '4:3' | '16:9' | '21:9', received '9:21' at \"aspect_ratio\""],
			[{ ...ray3, resolution: '4k' }, "Expected '360p' | '540p' | '720p' | '1080p', received '4k' at \"resolution\""],
			[{ ...ray2, resolution: '360p' }, "Expected '540p' | '720p' | '1080p' | '4k', received '360p' at \"resolution\""],
			[{ ...ray2, duration: '5s' }, 'Expected number, received string at "duration"'],
			[{ ...ray3, duration: '10s' }, 'Expected number, received string at "duration"'],
			[{ ...ray2, duration: 10 }, 'Invalid enum value. Expected 5 | 9, received 10 at "duration"'],
			[{ model: 'luma/ray-flash-2', prompt: 'a cat', duration: 5.5 }, 'Expected 5 | 9, received 5.5'],
			[{ ...ray3, duration: 9 }, 'Invalid enum value. Expected 5 | 10, received 9 at "duration"'],
			[{ ...ray2, loop: 'yes' }, 'Expected boolean, received string at "loop"'],
			[{ ...ray3, hdr: 1 }, 'Expected boolean, received number at "hdr"'],
			[{ ...ray3, keyframes: { frame0: { type: 'image', url: image } } }, "Unrecognized key(s) in object: 'keyframes'"],
			...['image_url', 'last_image_url', 'video_url', 'type', 'hdr', 'exr_export'].map((field) => [{ ...ray2, [field]: true }, `Unrecognized key(s) in object: '${field}'`]),
			[{ model: 'luma/ray-flash-2', prompt: 'a cat', hdr: true }, "Unrecognized key(s) in object: 'hdr'"],
			[{ ...ray2, keyframes: { frame0: { type: 'generation', id: 'nope' } } }, 'Invalid uuid at "keyframes.frame0.id"'],
			[{ ...ray2, keyframes: { frame0: { type: 'image', url: 'ftp://x' } } }, 'Invalid url at "keyframes.frame0.url"'],
			[{ ...ray2, keyframes: { frame2: {} } }, "Unrecognized key(s) in object: 'frame2' at \"keyframes\""],
			[{ ...ray2, loop: true, keyframes: { frame1: { type: 'image', url: image } } }, 'loop is not supported with an end frame (frame1)'],
			[{ ...ray3, image_url: 'not a url' }, 'Invalid url at "image_url"'],
			[{ ...ray3, type: 'video_extend' }, "Expected 'video' | 'video_edit' | 'video_reframe', received 'video_extend' at \"type\""],
			[{ ...ray3, type: 'video_edit' }, 'Required at "video_url"'],
			[{ ...ray3, type: 'video_reframe' }, 'Required at "video_url"'],
			[{ ...ray3, video_url: video }, 'video_url is only supported with type video_edit or video_reframe'],
			[{ ...ray3, type: 'video', video_url: video }, 'video_url is only supported with type video_edit or video_reframe'],
			[{ ...ray3, type: 'video_edit', video_url: video, loop: true }, 'loop is only supported when creating a new video'],
			[{ ...ray3, type: 'video_reframe', video_url: video, loop: true }, 'loop is only supported when creating a new video'],
			[{ ...ray3, loop: true, last_image_url: image }, 'loop is not supported with an end frame (last_image_url)'],
			[{ ...ray3, hdr: true, duration: 10 }, 'hdr is only supported with a duration of 5, received 10'],
			[{ ...ray3, hdr: true, resolution: '540p' }, "hdr is only supported at resolution '720p' | '1080p', received '540p'"],
			[{ ...ray3, hdr: true, resolution: '360p' }, "received '360p'"],
			[{ ...ray3, exr_export: true }, 'exr_export is only supported with hdr: true'],
			[{ ...ray3, exr_export: true, hdr: false }, 'exr_export is only supported with hdr: true'],
		].map(([body, message]) => [JSON.stringify(body).slice(0, 90), body, message] as const),
	)('%s is refused with 400', async (_label, body, message) => {
		const { status, body: answer } = await ucreate(body);
		expect(status).toBe(400);
		expect(answer.message).toContain(message);
		expect(answer.path).toBe(UNIFIED_PATH);
		expect(emulator.acceptedCreates).toBe(0);
	});

	test.each(
		[
			ray2,
			{ ...ray2, aspect_ratio: '9:21', resolution: '4k', duration: 9, loop: true },
			{ model: 'luma/ray-flash-2', prompt: 'a cat', resolution: '540p', duration: 5 },
			{ ...ray2, keyframes: { frame0: { type: 'image', url: image }, frame1: { type: 'image', url: image } } },
			ray3,
			{ ...ray3, aspect_ratio: '21:9', resolution: '360p', duration: 10, loop: true, image_url: image },
			{ ...ray3, image_url: image, last_image_url: image },
			{ ...ray3, type: 'video' },
			{ ...ray3, type: 'video_edit', video_url: video },
			// A flag that is false asks for nothing: loop false on an edit, hdr false on 10 s.
			{ ...ray3, type: 'video_reframe', video_url: video, loop: false, aspect_ratio: '9:16' },
			{ ...ray3, hdr: false, duration: 10 },
			{ ...ray3, hdr: true },
			{ ...ray3, hdr: true, duration: 5, resolution: '1080p', exr_export: true },
		].map((body) => [JSON.stringify(body).slice(0, 90), body] as const),
	)('%s is accepted', async (_label, body) => {
		const { status, body: answer } = await ucreate(body);
		expect(status).toBe(201);
		expect(answer).toMatchObject({ status: 'queued', model: body.model });
		expect(emulator.acceptedCreates).toBe(1);
	});

	test('keyframes by generation id: only completed generations of the unified API (or any, with crossApiIds)', async () => {
		const source = (await ucreate(ray2)).body.id;
		const extend = { ...ray2, keyframes: { frame0: { type: 'generation', id: source } } };
		const early = await ucreate(extend);
		expect(early.status).toBe(400);
		expect(early.body.message).toBe(`Generation ${source} is not completed: only completed generations can be extended`);
		emulator.finish(source);
		expect((await ucreate(extend)).status).toBe(201);

		const unknown = '11111111-1111-4111-8111-111111111111';
		expect((await ucreate({ ...ray2, keyframes: { frame1: { type: 'generation', id: unknown } } })).body.message).toBe(`Generation ${unknown} not found`);

		const lumaSource = emulator.seed('made on the Luma endpoint', { queuedMs: 0, dreamingMs: 0 });
		const interpolate = { ...ray2, keyframes: { frame0: { type: 'generation', id: source }, frame1: { type: 'generation', id: lumaSource } } };
		expect((await ucreate(interpolate)).body.message).toBe(`Generation ${lumaSource} not found`);
		emulator.configure({ crossApiIds: true });
		expect((await ucreate(interpolate)).status).toBe(201);
	});
});

describe('the unified generation object (docs/API.md §5.3) and fetch (§4.2)', () => {
	test('the create answers with the generation, queued; its status goes queued, generating, completed', async () => {
		await start({ queuedMs: NEVER });
		const created = await ucreate({ model: 'luma/ray-3.2', prompt: 'a fox' });
		expect(created.status).toBe(201);
		expect(Object.keys(created.body).sort()).toEqual(['created_at', 'error', 'id', 'meta', 'model', 'status', 'video']);
		expect(created.body).toMatchObject({ status: 'queued', video: null, error: null, model: 'luma/ray-3.2' });
		expect(created.body.id).toMatch(/^[0-9a-f-]{36}$/);
		expect(Number.isNaN(Date.parse(created.body.created_at))).toBe(false);
		const { id } = created.body;

		expect((await ufetch(id)).body.status).toBe('queued');
		emulator.startDreaming(id);
		expect((await ufetch(id)).body.status).toBe('generating');
		emulator.finish(id);
		const done = await ufetch(id);
		expect(done.body).toMatchObject({ id, status: 'completed', error: null, model: 'luma/ray-3.2' });
		const video = await fetch(done.body.video.url);
		expect(video.headers.get('content-type')).toBe('video/mp4');
		expect(Buffer.from(await video.arrayBuffer()).equals(SAMPLE_MP4)).toBe(true);
	});

	test('a failed generation has status error and error {name, message}', async () => {
		await start();
		const { id } = (await ucreate({ model: 'luma/ray-2', prompt: 'bad [fail]' })).body;
		emulator.finish(id, 'failed', 0, 'Contains blacklisted words');
		const failed = await ufetch(id);
		expect(failed.body).toMatchObject({ status: 'error', video: null, error: { message: 'Contains blacklisted words' } });
		expect(typeof failed.body.error.name).toBe('string');
	});

	test('failure markers, unreadable frames, [slow] and [large] work on the unified API too', async () => {
		await start({ queuedMs: 0, dreamingMs: 0, largeVideoBytes: 3 * SAMPLE_MP4.length });
		const cases: Array<[Record<string, unknown>, string]> = [
			[{ model: 'luma/ray-2', prompt: 'moderate me [fail-moderation]' }, 'Frame moderation failed'],
			[{ model: 'luma/ray-2', prompt: 'frames', keyframes: { frame0: { type: 'image', url: 'https://x/unreadable.png' } } }, 'Failed to read user input frames'],
			[{ model: 'luma/ray-3.2', prompt: 'frames', last_image_url: 'https://x/unreadable.png' }, 'Failed to read user input frames'],
			[{ model: 'luma/ray-3.2', prompt: 'edit', type: 'video_edit', video_url: 'https://x/unreadable.mp4' }, 'Failed to read user input frames'],
		];
		for (const [body, reason] of cases) {
			const { id } = (await ucreate(body)).body;
			expect((await ufetch(id)).body.error.message).toBe(reason);
		}
		const slow = (await ucreate({ model: 'luma/ray-2', prompt: 'slow [slow]' })).body.id;
		emulator.configure({ queuedMs: 100, dreamingMs: 200 });
		const slower = (await ucreate({ model: 'luma/ray-2', prompt: 'slower [slow]' })).body.id;
		const planned = emulator.generations.get(slower)!;
		expect(planned.endAt - planned.createdAt).toBe(300_000);
		expect((await ufetch(slow)).body.status).toBe('completed'); // 0 ms times 1000 is still 0
		const large = (await ucreate({ model: 'luma/ray-2', prompt: 'big [large]' })).body.id;
		emulator.finish(large);
		const download = await fetch((await ufetch(large)).body.video.url);
		expect(Number(download.headers.get('content-length'))).toBe(3 * SAMPLE_MP4.length);
		expect((await download.arrayBuffer()).byteLength).toBe(3 * SAMPLE_MP4.length);
	});

	test('no long poll: a state or status parameter is ignored and the answer comes at once', async () => {
		await start({ waitParam: 'both', holdMs: NEVER, queuedMs: NEVER });
		const { id } = (await ucreate({ model: 'luma/ray-2', prompt: 'abc' })).body;
		const answer = await ufetch(id, '&state=completed&status=completed');
		expect(answer.body.status).toBe('queued');
		expect(last('fetchOne')).toMatchObject({ api: 'unified', hold: 'at-once' });
		expect((await ufetch(id, '&state=failed')).status).toBe(200);
	});

	test('one id per request: generation_ids is refused, no id is refused, an unknown id is 404', async () => {
		await start();
		const { id } = (await ucreate({ model: 'luma/ray-2', prompt: 'abc' })).body;
		for (const query of [`generation_ids=${id}`, `generation_ids[]=${id}`, '']) {
			const refused = await call(`${UNIFIED_PATH}?${query}`);
			expect(refused.status).toBe(400);
			expect(refused.body.message).toBe('Required at "generation_id"');
		}
		const unknown = await ufetch('11111111-1111-4111-8111-111111111111');
		expect(unknown.status).toBe(404);
		expect(unknown.body.message).toBe('Generation 11111111-1111-4111-8111-111111111111 not found');
	});
});

describe('credits_used (the unifiedCredits switch)', () => {
	const prices: Array<[Partial<UnifiedCreateBody>, number]> = [
		[{ model: 'luma/ray-2' }, 400_000],
		[{ model: 'luma/ray-2', duration: 9 }, 720_000],
		[{ model: 'luma/ray-flash-2' }, 150_000],
		[{ model: 'luma/ray-flash-2', duration: 9 }, 270_000],
		[{ model: 'luma/ray-3.2' }, 800_000],
		[{ model: 'luma/ray-3.2', duration: 10 }, 1_600_000],
		[{ model: 'luma/ray-3.2', hdr: true }, 1_600_000],
		[{ model: 'luma/ray-3.2', hdr: true, exr_export: true }, 1_800_000],
	];

	test('completed (default): each model reports its own price once completed, never the list price', async () => {
		await start({ queuedMs: NEVER });
		for (const [fields, price] of prices) {
			const created = await ucreate({ prompt: 'price me', ...fields });
			expect(created.body.meta).toBeNull();
			emulator.finish(created.body.id);
			// Ray 3.2 also reports dollars: $0.40 for 800,000 credits.
			const usd = fields.model === 'luma/ray-3.2' ? { usd_spent: price / 2_000_000 } : {};
			expect((await ufetch(created.body.id)).body.meta).toEqual({ usage: { credits_used: price, ...usd } });
			expect(unifiedPrice({ prompt: 'x', ...fields } as UnifiedCreateBody)).toBe(price);
			expect(price).not.toBe(500_000);
		}
		const failed = (await ucreate({ model: 'luma/ray-2', prompt: 'bad [fail]' })).body.id;
		emulator.finish(failed, 'failed');
		expect((await ufetch(failed)).body.meta).toBeNull();
	});

	test('always: the create answer reports it too; never: not even when completed', async () => {
		await start({ unifiedCredits: 'always', queuedMs: NEVER });
		const created = await ucreate({ model: 'luma/ray-flash-2', prompt: 'abc' });
		expect(created.body.meta).toEqual({ usage: { credits_used: 150_000 } });
		expect((await ufetch(created.body.id)).body.meta.usage.credits_used).toBe(150_000);
		emulator.configure({ unifiedCredits: 'never' });
		emulator.finish(created.body.id);
		const done = await ufetch(created.body.id);
		expect(done.body.status).toBe('completed');
		expect(done.body.meta).toBeNull();
	});
});

describe('which API a generation belongs to', () => {
	test('each API knows only its own generations; crossApiIds lets either answer, in its own shape', async () => {
		await start({ shape: 'suffixed-id' });
		const lumaId = (await create({ prompt: 'luma one' })).body.id as string;
		const unifiedId = (await ucreate({ model: 'luma/ray-3.2', prompt: 'unified one' })).body.id as string;
		const seeded = emulator.seed('seeded unified', {}, 'unified');
		expect(lumaId).toMatch(/:luma\/ray-2$/);
		expect(unifiedId).toMatch(/^[0-9a-f-]{36}$/);

		for (const id of [unifiedId, seeded]) {
			const there = await one(id);
			expect(there.status).toBe(404);
			expect(there.body.message).toBe(`Generation ${id} not found`);
			expect((await call(`${GENERATIONS_PATH}?generation_ids=${id}`)).status).toBe(404);
			expect((await ufetch(id)).status).toBe(200);
		}
		expect((await ufetch(lumaId)).status).toBe(404);
		expect((await ufetch(lumaId.split(':')[0])).status).toBe(404);

		emulator.configure({ crossApiIds: true });
		emulator.finish(unifiedId);
		emulator.finish(lumaId);
		const unifiedOnLuma = (await one(unifiedId)).body;
		expect(unifiedOnLuma).toMatchObject({ id: `${unifiedId}:luma/ray-3.2`, state: 'completed', model: 'ray-3.2' });
		const lumaOnUnified = (await ufetch(lumaId.split(':')[0])).body;
		expect(lumaOnUnified).toMatchObject({ status: 'completed', model: 'luma/ray-2', meta: { usage: { credits_used: 500_000 } } });
		// The same asset URL serves both.
		expect(lumaOnUnified.video.url).toBe((await one(lumaId)).body.assets.video);
		expect((await fetch(unifiedOnLuma.assets.video)).status).toBe(200);
	});

	test('the log names the API; endpoint names, counts and accepted creates span both', async () => {
		await start();
		await create({ prompt: 'same prompt' });
		await ucreate({ model: 'luma/ray-2', prompt: 'same prompt' });
		await ucreate({ model: 'luma/ray-2', prompt: 'x' }); // refused: too short
		const { id } = (await ucreate({ model: 'luma/ray-2', prompt: 'other' })).body;
		emulator.finish(id);
		await fetch((await ufetch(id)).body.video.url);
		await call('/nowhere');
		expect(emulator.log.map((entry) => [entry.endpoint, entry.api, entry.status])).toEqual([
			['create', 'luma', 201],
			['create', 'unified', 201],
			['create', 'unified', 400],
			['create', 'unified', 201],
			['fetchOne', 'unified', 200],
			['asset', undefined, 200],
			['other', undefined, 404],
		]);
		expect(emulator.count('create')).toBe(4);
		expect(emulator.count('create', (entry) => entry.api === 'unified')).toBe(3);
		expect(emulator.acceptedCreates).toBe(3);
		expect(emulator.createsByPrompt.get('same prompt')).toBe(2);
		expect(emulator.generations.get(id)!.api).toBe('unified');
	});

	test('failNext hits either API unless the fault names one; faults answer in the API\'s shape', async () => {
		await start();
		emulator.failNext('create', '503');
		expect((await ucreate({ model: 'luma/ray-2', prompt: 'abc' })).status).toBe(503);
		emulator.failNext('create', { kind: '502', api: 'luma' });
		expect((await ucreate({ model: 'luma/ray-2', prompt: 'abc' })).status).toBe(201);
		expect((await create({ prompt: 'abc' })).status).toBe(502);
		emulator.failNext('create', { kind: 'unknown-state', api: 'unified', afterAccept: true });
		const accepted = await ucreate({ model: 'luma/ray-2', prompt: 'billed anyway' });
		expect(accepted.body).toMatchObject({ status: 'exploded', model: 'luma/ray-2' });
		expect(emulator.createsByPrompt.get('billed anyway')).toBe(1);
		emulator.failNext('fetchOne', 'no-id');
		const noId = await ufetch(accepted.body.id);
		expect(noId.body).toMatchObject({ status: 'queued' });
		expect(noId.body.id).toBeUndefined();
		emulator.failNext('fetchOne', { kind: '504', api: 'luma' });
		expect((await ufetch(accepted.body.id)).status).toBe(200);
		expect((await one('11111111-1111-4111-8111-111111111111')).status).toBe(504);
	});
});

describe('the account limits (docs/API.md §7), across both APIs', () => {
	test('the create rate limit counts the creates of both APIs; its 429s are not billed and are counted', async () => {
		await start({ createLimit: { count: 2, windowMs: 60_000 } });
		expect((await create({ prompt: 'one' })).status).toBe(201);
		expect((await ucreate({ model: 'luma/ray-2', prompt: 'two' })).status).toBe(201);
		for (const limited of [await ucreate({ model: 'luma/ray-2', prompt: 'three' }), await create({ prompt: 'three' })]) {
			expect(limited.status).toBe(429);
			expect(limited.body.message).toBe('Rate limit exceeded: too many create requests');
			const retryAfter = Number(limited.headers.get('retry-after'));
			expect(retryAfter).toBeGreaterThan(0);
			expect(retryAfter).toBeLessThanOrEqual(60);
		}
		expect(emulator.acceptedCreates).toBe(2);
		expect(emulator.createsByPrompt.has('three')).toBe(false);
		expect(emulator.tooManyRequests).toEqual({ createLimit: 2, runningLimit: 0, injected: 0 });
	});

	test('runningLimit: a create while that many generations run gets 429 until one ends', async () => {
		await start({ runningLimit: 2, queuedMs: NEVER, dreamingMs: NEVER });
		const a = (await create({ prompt: 'job a' })).body.id;
		const b = (await ucreate({ model: 'luma/ray-3.2', prompt: 'job b' })).body.id;
		emulator.finish(b, 'completed', 30_000); // the first to end, in 30 s
		const refused = await ucreate({ model: 'luma/ray-2', prompt: 'job c' });
		expect(refused.status).toBe(429);
		expect(refused.body.message).toBe('Too many running generations');
		const retryAfter = Number(refused.headers.get('retry-after'));
		expect(retryAfter).toBeGreaterThan(0);
		expect(retryAfter).toBeLessThanOrEqual(30);
		expect((await create({ prompt: 'job c' })).status).toBe(429);

		emulator.finish(a, 'failed'); // a failed one no longer runs
		expect((await create({ prompt: 'job c' })).status).toBe(201);
		expect((await ucreate({ model: 'luma/ray-2', prompt: 'job d' })).status).toBe(429);
		emulator.finish(b);
		expect((await ucreate({ model: 'luma/ray-2', prompt: 'job d' })).status).toBe(201);

		expect(emulator.acceptedCreates).toBe(4);
		expect(emulator.createsByPrompt.get('job c')).toBe(1);
		expect(emulator.tooManyRequests.runningLimit).toBe(3);
		emulator.failNext('fetchOne', '429');
		expect((await ufetch(b)).status).toBe(429);
		expect(emulator.tooManyRequests).toEqual({ createLimit: 0, runningLimit: 3, injected: 1 });
		emulator.resetCounters();
		expect(emulator.tooManyRequests).toEqual({ createLimit: 0, runningLimit: 0, injected: 0 });
	});

	test('Retry-After as an HTTP date', async () => {
		await start({ runningLimit: 1, queuedMs: NEVER, faults: { retryAfterForm: 'date' } });
		await ucreate({ model: 'luma/ray-2', prompt: 'job a' });
		const refused = await create({ prompt: 'job b' });
		expect(refused.status).toBe(429);
		expect(Date.parse(refused.headers.get('retry-after')!)).toBeGreaterThan(Date.now());
	});
});

describe('timers never decide an answer (issue 17)', () => {
	/** A callback receiver: the state each post announced, its body, in arrival order. */
	async function receiver() {
		const received: Array<{ state: string; body: any }> = [];
		const server = http.createServer((req, res) => {
			let text = '';
			req.on('data', (c) => (text += c));
			req.on('end', () => {
				const body = JSON.parse(text);
				received.push({ state: body.state, body });
				res.end('ok');
			});
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
		return { received, url, close: () => new Promise((resolve) => server.close(resolve)) };
	}

	test('callbacks are posted on state changes', async () => {
		await start();
		const hook = await receiver();
		await create({ prompt: 'call me', callback_url: hook.url });
		await until(() => emulator.callbacks.length === 2);
		await hook.close();
		expect(hook.received.map((r) => r.state)).toEqual(['dreaming', 'completed']);
		expect(emulator.callbacks.map((c) => [c.state, c.ok])).toEqual([
			['dreaming', true],
			['completed', true],
		]);
	});

	test('timers that fire early change nothing: each callback is rendered for the state it announces', async () => {
		// Every emulator timer fires 150 ms early: the completed one lands while the clock still says dreaming.
		await start({ timerSkewMs: 150 });
		const hook = await receiver();
		const { body } = await create({ prompt: 'call me early', callback_url: hook.url });
		const failing = await create({ prompt: 'call me [fail]', callback_url: hook.url });
		await until(() => emulator.callbacks.length === 4);
		await hook.close();
		const of = (id: string) => hook.received.filter((r) => r.body.id === id);
		expect(of(body.id).map((r) => r.state)).toEqual(['dreaming', 'completed']);
		expect(of(body.id)[1].body.assets.video).toContain(`${body.id}.mp4`);
		expect(of(failing.body.id).map((r) => r.state)).toEqual(['dreaming', 'failed']);
		expect(of(failing.body.id)[1].body.failure_reason).toBe('Contains blacklisted words');
	});

	test('a late timer posts every state reached, in order, each as itself', async () => {
		await start({ queuedMs: NEVER, dreamingMs: NEVER });
		const hook = await receiver();
		const { body } = await create({ prompt: 'skip ahead', callback_url: hook.url });
		emulator.finish(body.id); // dreaming and completed at once, as after a timer that came late
		await until(() => emulator.callbacks.length === 2);
		await hook.close();
		expect(hook.received.map((r) => r.state)).toEqual(['dreaming', 'completed']);
		expect(hook.received[0].body.assets).toBeNull();
	});

	test('pending callbacks survive a restart', async () => {
		await start({ queuedMs: NEVER, dreamingMs: NEVER });
		const hook = await receiver();
		const { body } = await create({ prompt: 'across a restart', callback_url: hook.url });
		await emulator.stop();
		emulator.finish(body.id);
		await emulator.start();
		await until(() => emulator.callbacks.length === 2);
		await hook.close();
		expect(hook.received.map((r) => r.state)).toEqual(['dreaming', 'completed']);
	});

	test('timers that fire early change nothing: a long poll answers only once the target or the cap is reached', async () => {
		await start({ timerSkewMs: 250, holdMs: 300 });
		const { body } = await create({ prompt: 'hold me' });
		const reached = await one(body.id, '&state=completed');
		expect(reached.body.state).toBe('completed');
		const slow = await create({ prompt: 'slow [slow]' });
		expect((await one(slow.body.id, '&state=dreaming')).body.state).toBe('queued');
		const capped = last('fetchOne');
		expect(capped.hold).toBe('capped');
		expect(capped.doneAt! - capped.at).toBeGreaterThanOrEqual(300);
	});
});

describe('probe reads (the all-zero id the nodes read to find the API)', () => {
	let emulator: LumaEmulator;
	beforeEach(async () => {
		emulator = await new LumaEmulator({ keys: ['k'], apis: 'both' }).start();
	});
	afterEach(() => emulator.stop());

	test('are answered as an unknown generation, logged as `probe`, and meet only faults scripted for probes', async () => {
		const read = (path: string) => fetch(`${emulator.baseUrl}${path}?generation_id=${PROBE_ID}`, { headers: { Authorization: 'Bearer k' } });
		emulator.failNext('fetchOne', '503');
		expect((await read(GENERATION_PATH)).status).toBe(404);
		emulator.failNext('probe', '503');
		expect((await read(UNIFIED_PATH)).status).toBe(503);
		expect(emulator.count('probe')).toBe(2);
		expect(emulator.count('fetchOne')).toBe(0);
	});
});
