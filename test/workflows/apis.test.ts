/**
 * Both of the gateway's APIs through n8n's engine: the nodes find which one a gateway serves,
 * pay exactly once per item on each flavour, never fall over to a second endpoint on an
 * ambiguous failure, refuse what a gateway cannot serve before sending, and wait on either.
 */
import type { INode } from 'n8n-workflow';

import { chain, GENERATE_TYPE, items, node, runWorkflow, TRIGGER_TYPE, WAIT_TYPE } from '../helpers/engine';
import { LUMA_PRICE } from '../emulator/emulator';
import { unifiedPrice } from '../emulator/validate-unified';
import { useEmulator } from '../helpers/emulator';

const env = useEmulator({ apis: 'both' });

const COMPLETED = 0;

function generateAndWait(generate: INode['parameters'], inputs: Array<Record<string, unknown>>, version = 2, credentials = env.credentials) {
	return runWorkflow({
		nodes: [
			node('Trigger', TRIGGER_TYPE),
			{ ...node('Generate', GENERATE_TYPE, generate), typeVersion: version },
			node('Wait', WAIT_TYPE, { maxWaitSeconds: 21_600 }), // the longest: no outcome races the clock
		],
		connections: chain('Trigger', 'Generate', 'Wait'),
		items: items(...inputs),
		credentials,
	});
}

const creates = (api?: string) => env.emulator.log.filter((entry) => entry.endpoint === 'create' && (api === undefined || entry.api === api));
const prompts = (count: number) => Array.from({ length: count }, (_, i) => ({ prompt: `A lighthouse in a storm, take ${i}` }));

describe.each(['luma', 'unified', 'both'] as const)('a gateway serving %s, the credential on Automatic', (apis) => {
	beforeEach(() => env.emulator.configure({ apis }));

	test('Ray 2: one create per item, on the API the gateway serves (the Luma endpoint when both), every video completed', async () => {
		const result = await generateAndWait({ prompt: '={{ $json.prompt }}' }, prompts(3));
		expect(result.error).toBeUndefined();
		const expected = apis === 'unified' ? 'unified' : 'luma';
		expect(creates().map((entry) => entry.api)).toEqual([expected, expected, expected]);
		expect(env.emulator.acceptedCreates).toBe(3);
		const done = result.outputs('Wait')[COMPLETED];
		expect(done.map((item) => item.json.prompt)).toEqual(prompts(3).map((p) => p.prompt));
		expect(done.every((item) => item.json.api === expected && typeof item.json.videoUrl === 'string')).toBe(true);
		// The API is found once for the gateway, not per item.
		expect(env.emulator.count('probe')).toBeLessThanOrEqual(2);
	});

	test('a second execution against the same gateway asks nothing to find the API again', async () => {
		await generateAndWait({ prompt: '={{ $json.prompt }}' }, prompts(1));
		const probes = env.emulator.count('probe');
		await generateAndWait({ prompt: '={{ $json.prompt }}' }, prompts(1));
		expect(env.emulator.count('probe')).toBe(probes);
	});
});

describe('Ray 3.2 and the unified API', () => {
	test('Ray 3.2 with HDR: sent to the unified API with its own fields; tokenCost is what the server reports', async () => {
		const result = await generateAndWait({ prompt: '={{ $json.prompt }}', model: 'ray-3.2', hdr: true, resolution: '1080p' }, prompts(1));
		expect(result.error).toBeUndefined();
		const [sent] = creates('unified');
		expect(sent.body).toEqual({ model: 'luma/ray-3.2', prompt: prompts(1)[0].prompt, aspect_ratio: '16:9', resolution: '1080p', duration: 5, hdr: true });
		const [video] = result.outputs('Wait')[COMPLETED];
		expect(video.json.tokenCost).toBe(unifiedPrice(sent.body as never));
		expect(video.json.tokenCost).not.toBe(LUMA_PRICE);
		expect(video.json.tokenCostIsListPrice).toBeUndefined();
		// The gateway reports Ray 3.2's cost in dollars too: 1,600,000 credits are $0.80.
		expect(video.json.usdSpent).toBe(0.8);
	});

	test('the cost in dollars: on Generate\'s output when the create\'s answer reports it, never invented for Ray 2; the cost guard then speaks in dollars', async () => {
		env.emulator.configure({ unifiedCredits: 'always' });
		const ray3 = await generateAndWait({ prompt: '={{ $json.prompt }}', model: 'ray-3.2' }, prompts(1));
		expect(ray3.outputs('Generate')[0][0].json).toMatchObject({ tokenCost: 800_000, usdSpent: 0.4 });
		const ray2 = await generateAndWait({ prompt: '={{ $json.prompt }}', model: 'ray-2' }, prompts(1));
		expect(ray2.outputs('Generate')[0][0].json.usdSpent).toBeUndefined();
		// 800,000 credits for $0.40: two creates at the 500,000-token list price are about $0.50.
		const capped = await generateAndWait({ prompt: '={{ $json.prompt }}', options: { maxCreatesPerRun: 1 } }, prompts(2));
		expect(capped.error?.message).toBe('This run would create 2 generations (1,000,000 tokens, about $0.50 at the rate the gateway last reported), more than Max Creates per Execution (1)');
	});

	test('a gateway serving only the Luma endpoint: Ray 3.2 is refused before anything is sent, naming the item, the field and the API', async () => {
		env.emulator.configure({ apis: 'luma' });
		const result = await generateAndWait({ prompt: '={{ $json.prompt }}', model: 'ray-3.2' }, prompts(2));
		expect(result.error?.message).toMatch(/^Model .*Ray 3\.2.*unified video API.*\[item 0\]$/);
		expect(env.emulator.count('create')).toBe(0);
	});

	test('a gateway serving only the unified API: a Callback URL is refused before sending; Ray 1.6 (version 1) names its replacement', async () => {
		env.emulator.configure({ apis: 'unified' });
		const withCallback = await generateAndWait({ prompt: '={{ $json.prompt }}', callbackUrl: 'https://example.com/hook' }, prompts(1));
		expect(withCallback.error?.message).toMatch(/^Callback URL .*unified video API.*\[item 0\]/);
		const retired = await generateAndWait({ prompt: '={{ $json.prompt }}', model: 'ray-1-6' }, prompts(1), 1);
		expect(retired.error?.message).toMatch(/Ray 1\.6/);
		expect(retired.error?.description).toMatch(/Set Model to Ray 2/);
		expect(env.emulator.count('create')).toBe(0);
	});

	test('a version 1 node on a Luma-endpoint gateway sends the same bytes as before; on a unified-only one, the same video in that API\'s words', async () => {
		env.emulator.configure({ apis: 'luma' });
		await generateAndWait({ prompt: 'A red fox in fresh snow', duration: '9s', resolution: '720p' }, [{}], 1);
		env.emulator.configure({ apis: 'unified' });
		await generateAndWait({ prompt: 'A red fox in fresh snow', duration: '9s', resolution: '720p' }, [{}], 1);
		const [onLuma, onUnified] = creates();
		expect(JSON.stringify(onLuma.body)).toBe('{"prompt":"A red fox in fresh snow","aspect_ratio":"16:9","model":"ray-2","loop":false,"resolution":"720p","duration":"9s"}');
		expect(onUnified.body).toEqual({ model: 'luma/ray-2', prompt: 'A red fox in fresh snow', aspect_ratio: '16:9', resolution: '720p', duration: 9, loop: false });
	});
});

describe('a gateway that retires an endpoint while n8n runs', () => {
	test('the Luma endpoint gone: the create it refuses with "no such route" goes to the unified API, paid once', async () => {
		await generateAndWait({ prompt: '={{ $json.prompt }}' }, prompts(1)); // learns: both, Luma endpoint first
		env.emulator.configure({ apis: 'unified' });
		env.emulator.resetCounters();
		const result = await generateAndWait({ prompt: '={{ $json.prompt }}' }, [{ prompt: 'After the switch' }]);
		expect(result.error).toBeUndefined();
		expect(env.emulator.log.filter((entry) => entry.method === 'POST').map((entry) => [entry.url, entry.status])).toEqual([
			['/v2/generate/video/luma-ai/generation', 404],
			['/v2/video/generations', 201],
		]);
		expect(env.emulator.acceptedCreates).toBe(1);
		expect(result.outputs('Wait')[COMPLETED][0].json).toMatchObject({ prompt: 'After the switch', api: 'unified' });
	});

	test('an ambiguous failure (HTTP 500, a reset) is never followed by a create on the other endpoint', async () => {
		for (const fault of ['500', 'reset'] as const) {
			env.emulator.resetCounters();
			env.emulator.failNext('create', { kind: fault, api: 'luma' });
			const result = await generateAndWait({ prompt: '={{ $json.prompt }}' }, [{ prompt: `Ambiguous ${fault}` }]);
			expect(result.error?.message).toMatch(/may have reached the server/);
			expect(creates('unified')).toHaveLength(0);
			expect(creates('luma')).toHaveLength(1);
		}
	});
});

describe('Luma Wait on the unified API', () => {
	test('asks each generation at a steady pace, not in a tight loop: a few fetches per generation over its life', async () => {
		env.emulator.configure({ apis: 'unified', queuedMs: 300, dreamingMs: 1200 });
		const result = await generateAndWait({ prompt: '={{ $json.prompt }}' }, prompts(5));
		expect(result.outputs('Wait')[COMPLETED]).toHaveLength(5);
		// 1.5 s of life at a 100 ms pace (10 s scaled): a request every pace at most, plus the first and last.
		const perGeneration = env.emulator.count('fetchOne') / 5;
		expect(perGeneration).toBeGreaterThanOrEqual(1);
		expect(perGeneration).toBeLessThanOrEqual(1500 / 100 + 2);
	});

	test('an id with no word of its API (mapped by hand) is found on the unified API when the Luma endpoint does not know it', async () => {
		const id = env.emulator.seed('made on the unified API', { queuedMs: 0, dreamingMs: 0 }, 'unified');
		const result = await runWorkflow({
			nodes: [node('Trigger', TRIGGER_TYPE), node('Wait', WAIT_TYPE, { generationId: '={{ $json.videoId }}' })],
			connections: chain('Trigger', 'Wait'),
			items: items({ videoId: id }),
			credentials: env.credentials,
		});
		expect(result.outputs('Wait')[COMPLETED].map((item) => item.json.id)).toEqual([id]);
	});
});
