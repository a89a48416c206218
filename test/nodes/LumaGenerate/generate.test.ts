/** Luma Generate in n8n's real engine against the emulator: what it sends, refuses and never repeats. */
import type { INode } from 'n8n-workflow';

import { chain, GENERATE_TYPE, items, logLines, node, runWorkflow, TRIGGER_TYPE } from '../../helpers/engine';
import { TEST_KEY, useEmulator } from '../../helpers/emulator';

const env = useEmulator();

function generate(parameters: INode['parameters'], inputs: Array<Record<string, unknown>> = [{}], nodeExtra: Partial<INode> = {}) {
	return runWorkflow({
		nodes: [node('Trigger', TRIGGER_TYPE), { ...node('Generate', GENERATE_TYPE, parameters), ...nodeExtra }],
		connections: chain('Trigger', 'Generate'),
		items: items(...inputs),
		credentials: env.credentials,
	});
}

const sentBodies = () => env.emulator.log.filter((entry) => entry.endpoint === 'create').map((entry) => entry.body);
const IMG_A = 'https://example.com/a.png';
const IMG_B = 'https://example.com/b.png';

describe('generation ids (the body of every mode: LumaGenerate/bodies.test.ts)', () => {
	let done1: string;
	beforeEach(() => {
		done1 = env.emulator.seed('earlier one', { queuedMs: 0, dreamingMs: 0 });
	});

	test('a generation id with a gateway suffix, mapped by expression, is sent as its UUID', async () => {
		await generate({ mode: 'extend', prompt: 'more of it', generationId: '={{ $json.id }}' }, [{ id: `${done1}:luma/ray-2` }]);
		expect((sentBodies()[0] as any).keyframes.frame0.id).toBe(done1);
	});
});

describe('output', () => {
	test('one item per input, paired, with the input fields still there', async () => {
		const result = await generate({ prompt: '={{ $json.text }}', options: { createsPerMinute: 600 } }, [
			{ text: 'First prompt', row: 1 },
			{ text: 'Second prompt', row: 2 },
		]);
		const out = result.outputs('Generate')[0];
		expect(out.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(out.map((item) => item.json.row)).toEqual([1, 2]);
		expect(out[0].json).toMatchObject({ text: 'First prompt', mode: 'textToVideo', model: 'ray-2', tokenCost: 500000 });
		expect(out[0].json.createdAt).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));
		expect(out[0].json.id).not.toEqual(out[1].json.id);
	});
});

describe('bad input: a clear error naming item and field, and nothing sent', () => {
	const UUID1 = '0f3ea4aa-10e7-4dae-af0b-263ab4ac45f9';
	const UUID2 = '755f9bbb-d99b-4880-992b-f05244ddba61';
	const goodFor: Record<string, Record<string, unknown>> = {
		textToVideo: {},
		imageToVideo: { startImageUrl: IMG_A },
		extend: { generationId: UUID1 },
		reverseExtend: { generationId: UUID1 },
		interpolate: { firstGenerationId: UUID1, secondGenerationId: UUID2 },
	};
	const fields = ['prompt', 'aspectRatio', 'model', 'resolution', 'duration', 'callbackUrl', 'startImageUrl', 'endImageUrl', 'generationId', 'firstGenerationId', 'secondGenerationId'];
	// Every field is mapped from the item, so item 0 is valid and only item 1 carries the fault.
	const mapped = Object.fromEntries(fields.map((field) => [field, `={{ $json.${field} }}`]));

	test.each([
		['missing prompt', 'textToVideo', { prompt: undefined }, /^Prompt is empty \[item 1\]$/],
		['empty prompt', 'textToVideo', { prompt: '' }, /^Prompt is empty \[item 1\]$/],
		['blank prompt', 'textToVideo', { prompt: '   ' }, /^Prompt is empty \[item 1\]$/],
		['short prompt', 'textToVideo', { prompt: 'hi' }, /^Prompt is too short \(2 characters\) \[item 1\]$/],
		['long prompt', 'textToVideo', { prompt: 'x'.repeat(5001) }, /^Prompt is too long \(5,001 characters\) \[item 1\]$/],
		['a number as prompt', 'textToVideo', { prompt: 42 }, /^Prompt must be text, but got a number \(42\) \[item 1\]$/],
		['unknown aspect ratio', 'textToVideo', { aspectRatio: '19:9' }, /^Aspect Ratio "19:9" is not a valid value \[item 1\]$/],
		['model in the wrong case', 'textToVideo', { model: 'Ray-2' }, /^Model "Ray-2" is not a valid value \[item 1\]$/],
		['unknown resolution', 'textToVideo', { resolution: '8k' }, /^Resolution "8k" is not a valid value \[item 1\]$/],
		['unknown duration', 'textToVideo', { duration: '7s' }, /^Duration "7s" is not a valid value \[item 1\]$/],
		['resolution in the wrong case', 'textToVideo', { resolution: '1080P' }, /^Resolution "1080P" is not a valid value \[item 1\]$/],
		['duration in the wrong case', 'textToVideo', { duration: '5S' }, /^Duration "5S" is not a valid value \[item 1\]$/],
		['aspect ratio written with a slash', 'textToVideo', { aspectRatio: '16/9' }, /^Aspect Ratio "16\/9" is not a valid value \[item 1\]$/],
		['loop with an end image', 'imageToVideo', { endImageUrl: IMG_B, loop: true }, /^Loop cannot be used with an end image \[item 1\]$/],
		['loop with extend ending on an image', 'extend', { endImageUrl: IMG_B, loop: true }, /^Loop cannot be used with an end image \[item 1\]$/],
		['an id that is not a UUID', 'extend', { generationId: 'abc-123' }, /^Generation ID to Extend "abc-123" is not a generation ID \[item 1\]$/],
		['an empty id', 'interpolate', { firstGenerationId: '' }, /^First Generation ID is empty \[item 1\]$/],
		['a list as id', 'reverseExtend', { generationId: [UUID1] }, /^Generation ID to Lead Up To must be a single generation ID, but got a list \[item 1\]$/],
		['an ftp image URL', 'imageToVideo', { startImageUrl: 'ftp://example.com/a.png' }, /^Start Image URL "ftp:\/\/example.com\/a.png" is not an http\(s\) URL \[item 1\]$/],
		['a relative image URL', 'imageToVideo', { startImageUrl: '/images/a.png' }, /^Start Image URL "\/images\/a.png" is not an http\(s\) URL \[item 1\]$/],
		['image to video without any image', 'imageToVideo', { startImageUrl: '' }, /^Start Image URL is empty \[item 1\]$/],
		['a callback URL without scheme', 'textToVideo', { callbackUrl: 'example.com/hook' }, /^Callback URL "example.com\/hook" is not an http\(s\) URL \[item 1\]$/],
		['a relative callback URL', 'textToVideo', { callbackUrl: '/hooks/luma' }, /^Callback URL "\/hooks\/luma" is not an http\(s\) URL \[item 1\]$/],
		['an end image URL with a javascript scheme', 'extend', { endImageUrl: 'javascript:alert(1)' }, /^End Image URL "javascript:alert\(1\)" is not an http\(s\) URL \[item 1\]$/],
	] as const)('%s', async (_label, mode, bad, message) => {
		const valid = { prompt: 'A perfectly fine prompt', aspectRatio: '16:9', model: 'ray-2', ...goodFor[mode] };
		const result = await generate({ ...mapped, mode, loop: '={{ $json.loop ?? false }}' }, [valid, { ...valid, ...bad }]);
		expect(result.error?.message).toMatch(message);
		expect(result.error?.description).toEqual(expect.any(String));
		expect(env.emulator.log).toHaveLength(0);
		expect(JSON.stringify([result.error?.message, result.error?.description, result.run.data, logLines])).not.toContain(TEST_KEY);
	});

	test('the fix is in the description', async () => {
		const result = await generate({ prompt: 'A fine prompt', model: 'Ray-2' });
		expect(result.error?.description).toBe('Did you mean "ray-2"? Use one of: ray-2, ray-flash-2, ray-1-6.');
	});
});

describe('continue on fail', () => {
	test('invalid items become error items with their pairing; valid ones are created', async () => {
		const result = await generate(
			{ prompt: '={{ $json.prompt }}', options: { createsPerMinute: 600 } },
			[{ prompt: 'A valid one' }, { prompt: 'no' }, { prompt: 'Another valid one' }],
			{ onError: 'continueRegularOutput' },
		);
		const out = result.outputs('Generate')[0];
		expect(out.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(out[1].json.error).toBe('Prompt is too short (2 characters) [item 1]');
		expect([out[0].json.id, out[2].json.id]).toEqual([expect.any(String), expect.any(String)]);
		expect(env.emulator.acceptedCreates).toBe(2);
	});
});

describe('spending guards', () => {
	test('Max Creates per Execution stops the run before any request', async () => {
		const result = await generate({ prompt: 'A fine prompt', options: { maxCreatesPerRun: 2 } }, [{}, {}, {}]);
		expect(result.error?.message).toBe('This run would create 3 generations (1,500,000 tokens), more than Max Creates per Execution (2)');
		expect(result.error?.description).toMatch(/raise Options → Max Creates per Execution to 3 or more/);
		expect(env.emulator.log).toHaveLength(0);
	});

	test('Dry Run outputs the exact bodies and sends nothing', async () => {
		const result = await generate({ prompt: 'A fine prompt', duration: '5s', options: { dryRun: true } }, [{}, {}]);
		expect(result.outputs('Generate')[0].map((item) => item.json.request)).toEqual([
			{ prompt: 'A fine prompt', aspect_ratio: '16:9', model: 'ray-2', loop: false, duration: '5s' },
			{ prompt: 'A fine prompt', aspect_ratio: '16:9', model: 'ray-2', loop: false, duration: '5s' },
		]);
		expect(env.emulator.log).toHaveLength(0);
	});
});

describe('never paying twice', () => {
	test('under injected 429s and 5xx, accepted creates equal the items that succeeded', async () => {
		env.emulator.configure({ faults: { tooMany429: 0.2, error5xx: 0.2, on: ['create'], retryAfterMs: 5 }, seed: 7 });
		const prompts = Array.from({ length: 30 }, (_, i) => ({ prompt: `Storm prompt number ${i}` }));
		// Max Wait in Create Queue at its largest: the 429s pause the queue; an item ends on its answers, not on the clock.
		const result = await generate({ prompt: '={{ $json.prompt }}', options: { createsPerMinute: 600, maxQueueWaitMinutes: 1440 } }, prompts, {
			onError: 'continueRegularOutput',
		});
		const out = result.outputs('Generate')[0];
		const succeeded = out.filter((item) => item.json.id);
		const failed = out.filter((item) => item.json.error);
		expect(out).toHaveLength(30);
		expect(succeeded.length + failed.length).toBe(30);
		expect(env.emulator.acceptedCreates).toBe(succeeded.length);
		// Each item that succeeded was billed exactly once, and no other prompt was billed at all.
		expect(succeeded.length).toBeGreaterThan(0);
		expect(Object.fromEntries(env.emulator.createsByPrompt)).toEqual(Object.fromEntries(succeeded.map((item) => [item.json.prompt, 1])));
		expect(env.emulator.count('create', (entry) => entry.status === 429)).toBeGreaterThan(0);
		expect(failed.length).toBeGreaterThan(0);
		for (const item of failed) expect(item.json.error).toMatch(/HTTP 50\d.*may have been created and billed/);
	});

	test('a run that stops part-way lists the ids it already created', async () => {
		env.emulator.configure({ credits: 2 });
		const result = await generate({ prompt: '={{ $json.prompt }}', options: { createsPerMinute: 600 } }, [
			{ prompt: 'First prompt' },
			{ prompt: 'Second prompt' },
			{ prompt: 'Third prompt' },
		]);
		const ids = [...env.emulator.generations.keys()];
		expect(ids).toHaveLength(2);
		expect(result.error?.message).toBe('Creating the generation for item 2 failed with HTTP 403: Insufficient credits: top up your balance');
		expect(result.error?.description).toContain(`Already created in this run (not lost, fetch them with Luma Wait): item 0: ${ids[0]}, item 1: ${ids[1]}.`);
		expect(env.emulator.count('create')).toBe(3);
	});

	test('100 items against a limit of 20 a minute: all created in item order, each billed once; a 429 pauses the account\'s queue, never fails an item', async () => {
		// The clock runs 100x faster: a "minute" is 600 ms for both the node and the emulator.
		env.emulator.configure({ createLimit: { count: 20, windowMs: 600 }, faults: { retryAfterMs: 100 } });
		// Besides any the limit refuses, the first three creates are refused 429 with Retry-After 0.1 s.
		env.emulator.failNext('create', '429', '429', '429');
		const prompts = Array.from({ length: 100 }, (_, i) => ({ prompt: `Batch prompt ${i}` }));
		// Max Wait in Create Queue at its largest: a create ends on its answers, not on a slow machine's clock.
		const result = await generate({ prompt: '={{ $json.prompt }}', options: { maxCreatesPerRun: 100, maxQueueWaitMinutes: 1440 } }, prompts);
		expect(result.error).toBeUndefined();
		expect(result.outputs('Generate')[0].map((item) => item.json.prompt)).toEqual(prompts.map((p) => p.prompt));
		expect(result.outputs('Generate')[0].filter((item) => item.json.id)).toHaveLength(100);
		expect(env.emulator.acceptedCreates).toBe(100);
		expect([...env.emulator.createsByPrompt.values()]).toEqual(prompts.map(() => 1));
		// Sent in item order: a refused create goes out again before the next item.
		const creates = env.emulator.log.filter((entry) => entry.endpoint === 'create');
		const sent = creates.map((entry) => Number((entry.body as any).prompt.split(' ')[2]));
		expect(sent).toEqual([...sent].sort((a, b) => a - b));
		// Each scripted 429 paused the queue for its Retry-After: the node reads the clock when the 429
		// reaches it (after the server saw the request) and sends nothing before the pause ends.
		expect(creates.slice(0, 4).map((entry) => entry.status)).toEqual([429, 429, 429, 201]);
		for (let i = 0; i < 3; i++) expect(creates[i + 1].at - creates[i].at).toBeGreaterThanOrEqual(100);
		// At most 20 creates a minute (600 ms here), as a sliding window: a create counts from when
		// its answer came back, which is after the server saw it; so the 21st accepted create after
		// any other reached the server at least 600 ms after it, however slow the machine.
		const accepted = creates.filter((entry) => entry.status === 201);
		const windows = accepted.slice(20).map((entry, i) => entry.at - accepted[i].at);
		expect(windows).toHaveLength(80);
		expect(Math.min(...windows)).toBeGreaterThanOrEqual(600);
	});
});
