/**
 * Luma Generate version 2 in n8n's real engine: what it refuses before anything is sent, and
 * version 1 beside it in the same engine (the body of every mode on every model: LumaGenerate/bodies.test.ts).
 * Everything here sends no create, so it holds for every emulator flavour.
 */
import type { INode } from 'n8n-workflow';

import { LumaGenerate } from '../../../../nodes/LumaGenerate/LumaGenerate.node';
import { chain, GENERATE_TOOL_TYPE, GENERATE_TYPE, items, logLines, node, runWorkflow, TRIGGER_TYPE } from '../../../helpers/engine';
import { TEST_KEY, useEmulator } from '../../../helpers/emulator';

const env = useEmulator();

const UUID1 = '0f3ea4aa-10e7-4dae-af0b-263ab4ac45f9';
const UUID2 = '755f9bbb-d99b-4880-992b-f05244ddba61';
const IMG_A = 'https://example.com/a.png';
const IMG_B = 'https://example.com/b.png';
const VIDEO = 'https://cdn.example.com/source.mp4';

function generate(parameters: INode['parameters'], inputs: Array<Record<string, unknown>> = [{}], nodeExtra: Partial<INode> = {}, type = GENERATE_TYPE) {
	return runWorkflow({
		nodes: [node('Trigger', TRIGGER_TYPE), { ...node('Generate', type, parameters), typeVersion: 2, ...nodeExtra }],
		connections: chain('Trigger', 'Generate'),
		items: items(...inputs),
		credentials: env.credentials,
	});
}

/** Every field but Mode (which takes no expression) mapped from the item, so one item can carry the fault. */
const FIELDS = ['prompt', 'model', 'aspectRatio', 'resolution', 'duration', 'loop', 'hdr', 'exrExport', 'callbackUrl', 'videoUrl', 'startImageUrl', 'endImageUrl', 'generationId', 'firstGenerationId', 'secondGenerationId'];
const MAPPED = Object.fromEntries(FIELDS.map((field) => [field, `={{ $json.${field} }}`]));
const BOOLEAN_DEFAULTS = { loop: false, hdr: false, exrExport: false };

describe('a refused item: an error naming the item, the field and what is allowed, and nothing sent', () => {
	const ray3 = { prompt: 'A glacier calving at dawn', model: 'ray-3.2', aspectRatio: '16:9', ...BOOLEAN_DEFAULTS };
	const ray2 = { ...ray3, model: 'ray-2' };
	const cases: Array<[string, string, Record<string, unknown>, Record<string, unknown>, string]> = [
		['HDR with 10 seconds', 'textToVideo', ray3, { hdr: true, duration: '10s' }, 'HDR needs Duration 5 seconds on Ray 3.2, not 10 [item 1]'],
		['HDR at 540p', 'textToVideo', ray3, { hdr: true, resolution: '540p' }, 'HDR needs Resolution 720p or 1080p on Ray 3.2, not 540p [item 1]'],
		['HDR at 360p', 'imageToVideo', { ...ray3, startImageUrl: IMG_A }, { hdr: true, resolution: '360p' }, 'HDR needs Resolution 720p or 1080p on Ray 3.2, not 360p [item 1]'],
		['9:21 on Ray 3.2', 'textToVideo', ray3, { aspectRatio: '9:21' }, 'Aspect Ratio "9:21" is not available on Ray 3.2 [item 1]'],
		['4k on Ray 3.2', 'textToVideo', ray3, { resolution: '4k' }, 'Resolution "4k" is not available on Ray 3.2 [item 1]'],
		['360p on Ray 2', 'textToVideo', ray2, { resolution: '360p' }, 'Resolution "360p" is not available on Ray 2 [item 1]'],
		['EXR export without HDR', 'textToVideo', ray3, { exrExport: true }, 'EXR Export needs HDR [item 1]'],
		['10 seconds on Ray 2', 'textToVideo', ray2, { duration: '10s' }, 'Duration 10 seconds is not available on Ray 2 [item 1]'],
		['10 seconds on Ray Flash 2', 'textToVideo', { ...ray2, model: 'ray-flash-2' }, { duration: '10s' }, 'Duration 10 seconds is not available on Ray Flash 2 [item 1]'],
		['extend on Ray 3.2', 'extend', { ...ray2, generationId: UUID1 }, { model: 'ray-3.2' }, 'Model Ray 3.2 cannot be used for Extend [item 1]'],
		['reverse extend on Ray 3.2', 'reverseExtend', { ...ray2, generationId: UUID1 }, { model: 'ray-3.2' }, 'Model Ray 3.2 cannot be used for Reverse Extend [item 1]'],
		['interpolate on Ray 3.2', 'interpolate', { ...ray2, firstGenerationId: UUID1, secondGenerationId: UUID2 }, { model: 'ray-3.2' }, 'Model Ray 3.2 cannot be used for Interpolate [item 1]'],
		['edit on Ray 2', 'editVideo', { ...ray3, videoUrl: VIDEO }, { model: 'ray-2' }, 'Model Ray 2 cannot be used for Edit Video [item 1]'],
		['reframe on Ray Flash 2', 'reframeVideo', { ...ray3, videoUrl: VIDEO }, { model: 'ray-flash-2' }, 'Model Ray Flash 2 cannot be used for Reframe Video [item 1]'],
		['loop with an end image', 'imageToVideo', { ...ray3, startImageUrl: IMG_A }, { endImageUrl: IMG_B, loop: true }, 'Loop cannot be used with an end image [item 1]'],
		['loop extending to an end image', 'extend', { ...ray2, generationId: UUID1 }, { endImageUrl: IMG_B, loop: true }, 'Loop cannot be used with an end image [item 1]'],
		['a source video URL that is not http(s)', 'editVideo', { ...ray3, videoUrl: VIDEO }, { videoUrl: 'file:///tmp/v.mp4' }, 'Source Video URL "file:///tmp/v.mp4" is not an http(s) URL [item 1]'],
		['Ray 1.6 typed by expression', 'textToVideo', ray2, { model: 'ray-1-6' }, 'Model "ray-1-6" (Ray 1.6) is retired: Ray 2 replaces it [item 1]'],
		['a callback URL with Ray 3.2', 'textToVideo', ray3, { callbackUrl: 'https://example.com/hook' }, 'Callback URL cannot be used with Ray 3.2 [item 1]'],
	];

	test.each(cases)('%s', async (_label, mode, valid, fault, message) => {
		const result = await generate({ ...MAPPED, mode }, [valid, { ...valid, ...fault }]);
		expect(result.error?.message).toBe(message);
		expect(result.error?.description).toEqual(expect.any(String));
		expect(env.emulator.log).toHaveLength(0);
		expect(JSON.stringify([result.error?.message, result.error?.description, result.run.data, logLines])).not.toContain(TEST_KEY);
	});

	test('under Continue On Fail the refused item becomes an error item on its own; a dry run of the rest sends nothing', async () => {
		const result = await generate(
			{ ...MAPPED, mode: 'textToVideo', options: { dryRun: true } },
			[ray3, { ...ray3, hdr: true, duration: '10s' }, { ...ray3, hdr: true }],
			{ onError: 'continueRegularOutput' },
		);
		const out = result.outputs('Generate')[0];
		expect(out.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(out[1].json).toMatchObject({ error: 'HDR needs Duration 5 seconds on Ray 3.2, not 10 [item 1]', description: expect.stringMatching(/set Duration to 5 Seconds/) });
		expect(out[2].json.request).toEqual({ prompt: ray3.prompt, aspect_ratio: '16:9', model: 'ray-3.2', duration: '5s', hdr: true });
		expect(env.emulator.log).toHaveLength(0);
	});
});

describe('both versions in one engine', () => {
	test('a saved version 1 node still sends loop: false and takes Ray 1.6; version 2 sends no loop and refuses Ray 1.6', async () => {
		const parameters = { prompt: 'A kite over the dunes', model: 'ray-1-6', options: { dryRun: true } };
		const v1 = await generate(parameters, [{}], { typeVersion: 1 });
		expect(JSON.stringify(v1.outputs('Generate')[0][0].json.request)).toBe('{"prompt":"A kite over the dunes","aspect_ratio":"16:9","model":"ray-1-6","loop":false}');
		const v2 = await generate({ ...parameters, model: '={{ "ray-1-6" }}' });
		expect(v2.error?.message).toBe('Model "ray-1-6" (Ray 1.6) is retired: Ray 2 replaces it [item 0]');
		const v2Ray2 = await generate({ ...parameters, model: 'ray-2' });
		expect(JSON.stringify(v2Ray2.outputs('Generate')[0][0].json.request)).toBe('{"prompt":"A kite over the dunes","aspect_ratio":"16:9","model":"ray-2"}');
		expect(env.emulator.log).toHaveLength(0);
	});

	test('a version 1 node ignores version 2 fields saved on it', async () => {
		const result = await generate(
			{ mode: 'textToVideo', prompt: 'A kite over the dunes', hdr: true, exrExport: true, videoUrl: VIDEO, options: { dryRun: true } },
			[{}],
			{ typeVersion: 1 },
		);
		expect(result.outputs('Generate')[0][0].json.request).toEqual({ prompt: 'A kite over the dunes', aspect_ratio: '16:9', model: 'ray-2', loop: false });
	});
});

describe('the tool variant, version 2', () => {
	test('mode and model are the node settings; a refused setting is refused before anything is sent', async () => {
		const result = await generate(
			{ mode: 'editVideo', prompt: 'Make it snow', videoUrl: VIDEO, resolution: '4k' },
			[{ query: 'make it snow in my video' }],
			{},
			GENERATE_TOOL_TYPE,
		);
		expect(result.error?.message).toBe('Resolution "4k" is not available on Ray 3.2 [item 0]');
		expect(env.emulator.log).toHaveLength(0);
	});

	test('the tool variant has the same modes and models as the node', () => {
		const properties = new LumaGenerate().getNodeType(2).description.properties;
		const forTool = properties.filter((property) => property.name === 'videoUrl' && property.displayOptions?.show?.['@tool']);
		expect(forTool).toHaveLength(1);
		expect(forTool[0].default).toMatch(/^=\{\{ \$fromAI\('videoUrl', '[^']+', 'string'\) \}\}$/);
		expect(forTool[0].displayOptions?.show).toEqual({ '@version': [2], mode: ['editVideo', 'reframeVideo'], '@tool': [true] });
	});
});
