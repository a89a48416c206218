/** The emulator keeps the API contract of ../shared/API.md, and each unknown is a switch. */
import { LumaEmulator, SAMPLE_MP4 } from './emulator';
import type { EmulatorOptions } from './emulator';

const KEY = 'emu-key';
let emulator: LumaEmulator;

async function start(options: EmulatorOptions = {}) {
	emulator = await new LumaEmulator({ keys: [KEY], holdMs: 300, queuedMs: 100, dreamingMs: 200, ...options }).start();
}
afterEach(async () => emulator?.stop());

async function call(path: string, init: RequestInit & { key?: string | null } = {}) {
	const headers: Record<string, string> = { 'Content-Type': 'application/json' };
	if (init.key !== null) headers.Authorization = `Bearer ${init.key ?? KEY}`;
	const started = Date.now();
	const res = await fetch(`${emulator.baseUrl}${path}`, { ...init, headers });
	const text = await res.text();
	let body: any = text;
	try {
		body = JSON.parse(text);
	} catch {
		// not JSON
	}
	return { status: res.status, body, ms: Date.now() - started, headers: res.headers };
}

const create = (body: unknown) => call('/v2/generate/video/luma-ai/generation', { method: 'POST', body: JSON.stringify(body) });
const one = (id: string, query = '') => call(`/v2/generate/video/luma-ai/generation?generation_id=${id}${query}`);

describe('auth', () => {
	beforeEach(() => start());
	test('the right key is accepted; no key or a wrong key gets 401 in the gateway error shape', async () => {
		expect((await create({ prompt: 'abc' })).status).toBe(201);
		for (const key of [null, 'wrong']) {
			const refused = await call('/v2/generate/video/luma-ai/generation', { method: 'POST', body: '{"prompt":"abc"}', key });
			expect(refused.status).toBe(401);
			expect(Object.keys(refused.body).sort()).toEqual(['message', 'path', 'requestId', 'statusCode', 'timestamp']);
		}
		expect(emulator.acceptedCreates).toBe(1);
	});
});

describe('create validation (API.md section 1)', () => {
	beforeEach(() => start());
	test.each([
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
	].map(([body, message]) => [JSON.stringify(body).slice(0, 70), body, message] as const))('%s is refused with 400', async (_label, body, message) => {
		const { status, body: answer } = await create(body);
		expect(status).toBe(400);
		expect(answer.message).toContain(message);
		expect(emulator.acceptedCreates).toBe(0);
	});

	test('extend only from a completed generation', async () => {
		const { body: source } = await create({ prompt: 'source' });
		const early = await create({ prompt: 'more', keyframes: { frame0: { type: 'generation', id: source.id } } });
		expect(early.status).toBe(400);
		expect(early.body.message).toContain('not completed');
		emulator.finish(source.id);
		const later = await create({ prompt: 'more', keyframes: { frame0: { type: 'generation', id: source.id } } });
		expect(later.status).toBe(201);
	});
});

describe('the long poll (API.md section 2)', () => {
	beforeEach(() => start());
	test('holds until the target, answers at once on a later state, and caps the hold', async () => {
		const { body } = await create({ prompt: 'hold me' });
		const dreaming = await one(body.id, '&state=dreaming');
		expect(dreaming.body.state).toBe('dreaming');
		expect(dreaming.ms).toBeGreaterThanOrEqual(60);

		const slow = await create({ prompt: 'slow [slow]' });
		const capped = await one(slow.body.id, '&state=completed');
		expect(capped.body.state).toBe('queued');
		expect(capped.ms).toBeGreaterThanOrEqual(280);

		const failing = await create({ prompt: 'bad [fail]' });
		emulator.finish(failing.body.id, 'failed', 0, 'Contains blacklisted words');
		const failedEarly = await one(failing.body.id, '&state=completed');
		expect(failedEarly.body.state).toBe('failed');
		expect(failedEarly.body.failure_reason).toBe('Contains blacklisted words');
		expect(failedEarly.ms).toBeLessThan(100);
	});

	test('waiting for failed is refused; no wait answers at once; unknown id is 404', async () => {
		const { body } = await create({ prompt: 'abc' });
		expect((await one(body.id, '&state=failed')).status).toBe(400);
		const now = await one(body.id);
		expect(now.body.state).toBe('queued');
		expect(now.ms).toBeLessThan(100);
		expect((await one('00000000-0000-4000-8000-000000000000')).status).toBe(404);
	});

	test('a completed generation serves a playable MP4', async () => {
		const { body } = await create({ prompt: 'abc' });
		emulator.finish(body.id, 'completed', 50);
		const done = await one(body.id, '&state=completed');
		const video = await fetch(done.body.assets.video);
		expect(video.headers.get('content-type')).toBe('video/mp4');
		expect(Buffer.from(await video.arrayBuffer()).equals(SAMPLE_MP4)).toBe(true);
		expect(SAMPLE_MP4.subarray(4, 8).toString('ascii')).toBe('ftyp');
	});
});

describe('fetch many (API.md section 3)', () => {
	test('both id forms, array or object, any or all', async () => {
		await start({ manyShape: 'object', manyReturns: 'all' });
		const a = (await create({ prompt: 'first' })).body.id;
		emulator.finish(a, 'completed', 0);
		const b = (await create({ prompt: 'second' })).body.id;
		const repeated = await call(`/v2/generate/video/luma-ai/generations?generation_ids[]=${a}&generation_ids[]=${b}&status=completed`);
		expect(repeated.body.generations.map((g: any) => g.state)).toEqual(['completed', 'completed']);
		expect(repeated.ms).toBeGreaterThanOrEqual(200);
		const comma = await call(`/v2/generate/video/luma-ai/generations?generation_ids=${a},${b}`);
		expect(comma.body.generations).toHaveLength(2);

		emulator.configure({ manyShape: 'array', manyReturns: 'any' });
		const c = (await create({ prompt: 'third' })).body.id;
		const any = await call(`/v2/generate/video/luma-ai/generations?generation_ids[]=${a}&generation_ids[]=${c}&status=completed`);
		expect(Array.isArray(any.body)).toBe(true);
		expect(any.ms).toBeLessThan(100);
	});

	test('the refused switch answers 404', async () => {
		await start({ manyEndpoint: 'refused' });
		const a = (await create({ prompt: 'first' })).body.id;
		expect((await call(`/v2/generate/video/luma-ai/generations?generation_ids[]=${a}`)).status).toBe(404);
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
		await start({ waitParam: 'status' });
		const { body } = await create({ prompt: 'abc' });
		expect((await one(body.id, '&state=completed')).ms).toBeLessThan(100);
		expect((await one(body.id, '&status=dreaming')).body.state).toBe('dreaming');
		emulator.configure({ waitParam: 'none' });
		expect((await one(body.id, '&state=completed&status=completed')).ms).toBeLessThan(100);
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

	test('callbacks are posted on state changes', async () => {
		await start();
		const received: string[] = [];
		const http = await import('node:http');
		const server = http.createServer((req, res) => {
			let text = '';
			req.on('data', (c) => (text += c));
			req.on('end', () => {
				received.push(JSON.parse(text).state);
				res.end('ok');
			});
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const port = (server.address() as { port: number }).port;
		await create({ prompt: 'call me', callback_url: `http://127.0.0.1:${port}/hook` });
		await new Promise((resolve) => setTimeout(resolve, 450));
		server.close();
		expect(received).toEqual(['dreaming', 'completed']);
	});
});
