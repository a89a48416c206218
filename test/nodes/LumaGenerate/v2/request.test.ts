/**
 * Luma Generate version 2's request builder and fields, without a server: parameters are loaded
 * the way n8n loads a saved node, then read as the node reads them. The body of each mode on each
 * model is in one written-out table, test/nodes/LumaGenerate/bodies.test.ts.
 */
import type { INodeParameters, INodeProperties, INodeTypeDescription } from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';

import { LumaGenerate } from '../../../../nodes/LumaGenerate/LumaGenerate.node';
import { readCreateRequestV2 } from '../../../../nodes/LumaGenerate/v2/request';
import { APIS } from '../../../../nodes/shared/transport';
import { validateCreate } from '../../../emulator/validate';
import { validateUnifiedCreate } from '../../../emulator/validate-unified';
import { contextFor, expr, fieldsOf, IMG_A, IMG_B, load, nodeOf, outcome, PROMPT, random, rawContext, UUID1, UUID2, VIDEO } from '../harness';

const current: INodeTypeDescription = new LumaGenerate().getNodeType(2).description;

/** The modes of version 2, and the models that make each (the first is the default), written out. */
const MODE_MODELS = {
	textToVideo: ['ray-2', 'ray-flash-2', 'ray-3.2'],
	imageToVideo: ['ray-2', 'ray-flash-2', 'ray-3.2'],
	extend: ['ray-2', 'ray-flash-2'],
	reverseExtend: ['ray-2', 'ray-flash-2'],
	interpolate: ['ray-2', 'ray-flash-2'],
	editVideo: ['ray-3.2'],
	reframeVideo: ['ray-3.2'],
} as const;
type Mode = keyof typeof MODE_MODELS;
const VIDEO_MODES = Object.keys(MODE_MODELS) as Mode[];
const MODE_MODEL_PAIRS = VIDEO_MODES.flatMap((mode) => MODE_MODELS[mode].map((model) => [mode, model] as const));

/** What a mode needs besides a prompt, to be built at all. */
const SOURCES: Record<Mode, INodeParameters> = {
	textToVideo: {},
	imageToVideo: { startImageUrl: IMG_A },
	extend: { generationId: UUID1 },
	reverseExtend: { generationId: UUID1 },
	interpolate: { firstGenerationId: UUID1, secondGenerationId: UUID2 },
	editVideo: { videoUrl: VIDEO },
	reframeVideo: { videoUrl: VIDEO },
};

function build(parameters: INodeParameters, itemIndex = 0) {
	return readCreateRequestV2(contextFor(current, 2, parameters), itemIndex);
}

describe('version 2: every mode of every model it offers', () => {
	test.each([
		['textToVideo', 'ray-2'],
		['imageToVideo', 'ray-2'],
		['extend', 'ray-2'],
		['reverseExtend', 'ray-2'],
		['interpolate', 'ray-2'],
		['editVideo', 'ray-3.2'],
		['reframeVideo', 'ray-3.2'],
	] as const)('%s needs no Model set: %s is sent', (mode, model) => {
		expect(build({ mode, prompt: PROMPT, ...SOURCES[mode] }).body.model).toBe(model);
	});

	test('Ray 2 and Ray Flash 2 with every option: all ratios, 540p to 4k, 5 or 9 seconds, loop, callback', () => {
		for (const model of ['ray-2', 'ray-flash-2']) {
			for (const aspectRatio of ['16:9', '1:1', '9:16', '4:3', '3:4', '21:9', '9:21']) {
				expect(build({ model, prompt: PROMPT, aspectRatio }).body.aspect_ratio).toBe(aspectRatio);
			}
			for (const resolution of ['540p', '720p', '1080p', '4k']) {
				for (const duration of ['5s', '9s']) {
					expect(build({ model, prompt: PROMPT, resolution, duration, loop: true, callbackUrl: 'https://example.com/hook' }).body).toEqual({
						prompt: PROMPT,
						aspect_ratio: '16:9',
						model,
						loop: true,
						resolution,
						duration,
						callback_url: 'https://example.com/hook',
					});
				}
			}
		}
	});

	test('Ray 3.2 with every option: 360p to 1080p, 5 or 10 seconds, HDR, EXR export, loop, start and end images', () => {
		for (const resolution of ['360p', '540p', '720p', '1080p']) {
			for (const duration of ['5s', '10s']) {
				expect(build({ model: 'ray-3.2', prompt: PROMPT, resolution, duration }).body).toEqual({ prompt: PROMPT, aspect_ratio: '16:9', model: 'ray-3.2', resolution, duration });
			}
		}
		expect(build({ mode: 'imageToVideo', model: 'ray-3.2', prompt: PROMPT, startImageUrl: IMG_A, loop: true, resolution: '1080p', duration: '5s', hdr: true, exrExport: true }).body).toEqual({
			prompt: PROMPT,
			aspect_ratio: '16:9',
			model: 'ray-3.2',
			keyframes: { frame0: { type: 'image', url: IMG_A } },
			loop: true,
			resolution: '1080p',
			duration: '5s',
			hdr: true,
			exr_export: true,
		});
		expect(build({ mode: 'imageToVideo', model: 'ray-3.2', prompt: PROMPT, endImageUrl: IMG_B }).body.keyframes).toEqual({ frame1: { type: 'image', url: IMG_B } });
		expect(build({ mode: 'editVideo', prompt: PROMPT, videoUrl: VIDEO, hdr: true, resolution: '720p' }).body).toEqual({
			prompt: PROMPT,
			aspect_ratio: '16:9',
			model: 'ray-3.2',
			resolution: '720p',
			duration: '5s',
			type: 'video_edit',
			video_url: VIDEO,
			hdr: true,
		});
	});

	test('HDR with Server Default duration and resolution: 5 seconds is sent, the resolution is left to the server (720p)', () => {
		expect(build({ model: 'ray-3.2', prompt: PROMPT, hdr: true }).body).toEqual({ prompt: PROMPT, aspect_ratio: '16:9', model: 'ray-3.2', duration: '5s', hdr: true });
	});

	test('server defaults stay unset, and a loop that is off is not sent', () => {
		expect(build({ prompt: PROMPT, resolution: '', duration: '', loop: false, callbackUrl: '' }).body).toEqual({ prompt: PROMPT, aspect_ratio: '16:9', model: 'ray-2' });
	});

	test('fields of other modes and models, left over from an earlier choice, are not sent', () => {
		const leftovers = { startImageUrl: IMG_A, endImageUrl: IMG_B, generationId: UUID1, videoUrl: VIDEO, hdr: true, exrExport: true, loop: true };
		expect(build({ mode: 'textToVideo', model: 'ray-2', prompt: PROMPT, ...leftovers }).body).toEqual({ prompt: PROMPT, aspect_ratio: '16:9', model: 'ray-2', loop: true });
		expect(build({ mode: 'reframeVideo', prompt: PROMPT, ...leftovers }).body).toEqual({
			prompt: PROMPT,
			aspect_ratio: '16:9',
			model: 'ray-3.2',
			duration: '5s',
			type: 'video_reframe',
			video_url: VIDEO,
			hdr: true,
			exr_export: true,
		});
	});
});

describe('version 2 builds only what the APIs accept', () => {
	test('6,000 sampled parameter sets: each request built is accepted by the emulator\'s schema of every API that serves its model', () => {
		const next = random(32);
		const pick = <T>(values: readonly T[]) => values[Math.floor(next() * values.length)];
		let checked = 0;
		let refused = 0;
		// Which APIs serve each model (docs/API.md §1.1), written out.
		const SERVED_BY: Record<string, Array<'luma' | 'unified'>> = { 'ray-2': ['luma', 'unified'], 'ray-flash-2': ['luma', 'unified'], 'ray-3.2': ['unified'] };
		for (let i = 0; i < 6000; i++) {
			const parameters: INodeParameters = {
				mode: pick(VIDEO_MODES),
				model: expr(pick(['ray-2', 'ray-flash-2', 'ray-3.2'])),
				prompt: PROMPT,
				aspectRatio: expr(pick(['16:9', '9:21', '1:1', '21:9', '3:4'])),
				resolution: expr(pick(['', '360p', '540p', '720p', '1080p', '4k'])),
				duration: expr(pick(['', '5s', '9s', '10s'])),
				loop: pick([true, false]),
				hdr: expr(pick([true, false])),
				exrExport: pick([true, false]),
				startImageUrl: pick(['', IMG_A]),
				endImageUrl: pick(['', IMG_B]),
				generationId: UUID1,
				firstGenerationId: UUID1,
				secondGenerationId: UUID2,
				videoUrl: VIDEO,
				callbackUrl: pick(['', '', 'https://example.com/hook']),
			};
			let request;
			try {
				request = build(parameters);
			} catch (error) {
				// A refusal is the user's to read: it names the item and a field. Anything else is a bug in the builder.
				expect((error as Error).name).toBe('NodeOperationError');
				expect((error as Error).message).toMatch(/^(Model|Aspect Ratio|Resolution|Duration|Loop|HDR|EXR Export|Callback URL|Start Image URL) .* \[item 0\]$/);
				refused++;
				continue;
			}
			const served = SERVED_BY[request.body.model];
			for (const api of served) {
				// The transport refuses a callback URL on the unified API itself, before sending.
				if (APIS[api].refusal(request.body)) continue;
				const body = APIS[api].createBody(request.body);
				const problem = api === 'unified' ? validateUnifiedCreate(body) : validateCreate(body);
				if (problem) throw new Error(`${api} refuses ${JSON.stringify(body)} (from ${JSON.stringify(parameters)}): ${problem}`);
				checked++;
			}
		}
		// Both sides reached: requests built and checked by every API that serves them, and items refused.
		expect(checked).toBeGreaterThan(600);
		expect(refused).toBeGreaterThan(600);
	});
});

describe('version 2 refuses every combination the schema forbids: item, field and what is allowed', () => {
	const t2v = { mode: 'textToVideo', prompt: PROMPT };
	const r3 = { ...t2v, model: 'ray-3.2' };
	const cases: Array<[string, INodeParameters, string, RegExp]> = [
		['HDR with 10 seconds', { ...r3, hdr: true, duration: '10s' }, 'HDR needs Duration 5 seconds on Ray 3.2, not 10 [item 2]', /5-second clips at 720p or 1080p: set Duration to 5 Seconds/],
		['HDR at 540p', { ...r3, hdr: true, resolution: '540p' }, 'HDR needs Resolution 720p or 1080p on Ray 3.2, not 540p [item 2]', /set Resolution to 720p or 1080p/],
		['HDR at 360p', { ...r3, hdr: true, resolution: '360p' }, 'HDR needs Resolution 720p or 1080p on Ray 3.2, not 360p [item 2]', /set Resolution to 720p or 1080p/],
		['9:21 on Ray 3.2', { ...r3, aspectRatio: expr('9:21') }, 'Aspect Ratio "9:21" is not available on Ray 3.2 [item 2]', /Ray 3.2 takes 16:9, 1:1, 9:16, 4:3, 3:4 or 21:9\.$/],
		['9:21 on Ray 3.2, reframing', { mode: 'reframeVideo', prompt: PROMPT, videoUrl: VIDEO, aspectRatio: expr('9:21') }, 'Aspect Ratio "9:21" is not available on Ray 3.2 [item 2]', /16:9, 1:1, 9:16, 4:3, 3:4 or 21:9/],
		['4k on Ray 3.2', { ...r3, resolution: expr('4k') }, 'Resolution "4k" is not available on Ray 3.2 [item 2]', /Ray 3.2 takes 360p, 540p, 720p or 1080p, or leave Resolution at Server Default/],
		['360p on Ray 2', { ...t2v, model: 'ray-2', resolution: expr('360p') }, 'Resolution "360p" is not available on Ray 2 [item 2]', /Ray 2 takes 540p, 720p, 1080p or 4k/],
		['10 seconds on Ray 2', { ...t2v, model: 'ray-2', duration: expr('10s') }, 'Duration 10 seconds is not available on Ray 2 [item 2]', /Ray 2 takes 5s or 9s, or leave Duration at Server Default/],
		['10 seconds on Ray Flash 2', { ...t2v, model: 'ray-flash-2', duration: expr('10s') }, 'Duration 10 seconds is not available on Ray Flash 2 [item 2]', /Ray Flash 2 takes 5s or 9s/],
		['9 seconds on Ray 3.2', { ...r3, duration: expr('9s') }, 'Duration 9 seconds is not available on Ray 3.2 [item 2]', /Ray 3.2 takes 5s or 10s/],
		['EXR export without HDR', { ...r3, hdr: expr(false), exrExport: true }, 'EXR Export needs HDR [item 2]', /Turn HDR on \(5-second clips at 720p or 1080p\), or turn EXR Export off/],
		['HDR on Ray 2', { ...t2v, model: expr('ray-2'), hdr: true }, 'HDR is not available on Ray 2 [item 2]', /HDR is a Ray 3.2 option/],
		['EXR export on Ray Flash 2', { ...t2v, model: expr('ray-flash-2'), exrExport: true }, 'EXR Export is not available on Ray Flash 2 [item 2]', /EXR Export is a Ray 3.2 option/],
		['extend on Ray 3.2', { mode: 'extend', prompt: PROMPT, model: expr('ray-3.2'), generationId: UUID1 }, 'Model Ray 3.2 cannot be used for Extend [item 2]', /^Extend works with Ray 2 \(ray-2\) or Ray Flash 2 \(ray-flash-2\)\./],
		['reverse extend on Ray 3.2', { mode: 'reverseExtend', prompt: PROMPT, model: expr('ray-3.2'), generationId: UUID1 }, 'Model Ray 3.2 cannot be used for Reverse Extend [item 2]', /Reverse Extend works with Ray 2 \(ray-2\) or Ray Flash 2/],
		['interpolate on Ray 3.2', { mode: 'interpolate', prompt: PROMPT, model: expr('ray-3.2'), firstGenerationId: UUID1, secondGenerationId: UUID2 }, 'Model Ray 3.2 cannot be used for Interpolate [item 2]', /Interpolate works with Ray 2 \(ray-2\) or Ray Flash 2/],
		['edit on Ray 2', { mode: 'editVideo', prompt: PROMPT, model: expr('ray-2'), videoUrl: VIDEO }, 'Model Ray 2 cannot be used for Edit Video [item 2]', /^Edit Video works with Ray 3.2 \(ray-3.2\)\.$/],
		['reframe on Ray Flash 2', { mode: 'reframeVideo', prompt: PROMPT, model: expr('ray-flash-2'), videoUrl: VIDEO }, 'Model Ray Flash 2 cannot be used for Reframe Video [item 2]', /^Reframe Video works with Ray 3.2 \(ray-3.2\)\.$/],
		['loop with an end image, Ray 3.2', { mode: 'imageToVideo', prompt: PROMPT, model: 'ray-3.2', endImageUrl: IMG_B, loop: true }, 'Loop cannot be used with an end image [item 2]', /Turn Loop off, or clear End Image URL/],
		['loop with an end image, Ray 2', { mode: 'imageToVideo', prompt: PROMPT, startImageUrl: IMG_A, endImageUrl: IMG_B, loop: expr(true) }, 'Loop cannot be used with an end image [item 2]', /Turn Loop off, or clear End Image URL/],
		['loop extending to an end image', { mode: 'extend', prompt: PROMPT, generationId: UUID1, endImageUrl: IMG_B, loop: true }, 'Loop cannot be used with an end image [item 2]', /clear End Image URL/],
		['a source video URL that is not http(s)', { mode: 'editVideo', prompt: PROMPT, videoUrl: 'ftp://example.com/v.mp4' }, 'Source Video URL "ftp://example.com/v.mp4" is not an http(s) URL [item 2]', /must be a full public address starting with https:\/\//],
		['a relative source video URL', { mode: 'reframeVideo', prompt: PROMPT, videoUrl: '/videos/v.mp4' }, 'Source Video URL "/videos/v.mp4" is not an http(s) URL [item 2]', /https:\/\//],
		['no source video', { mode: 'editVideo', prompt: PROMPT }, 'Source Video URL is empty [item 2]', /Fill in Source Video URL/],
		['Ray 1.6 typed by expression', { ...t2v, model: expr('ray-1-6') }, 'Model "ray-1-6" (Ray 1.6) is retired: Ray 2 replaces it [item 2]', /^Set Model to Ray 2 \(ray-2\)\./],
		['Ray 1.6 typed by expression, extending', { mode: 'extend', prompt: PROMPT, model: expr('ray-1-6'), generationId: UUID1 }, 'Model "ray-1-6" (Ray 1.6) is retired: Ray 2 replaces it [item 2]', /Set Model to Ray 2/],
		['a model that does not exist', { ...t2v, model: expr('ray-3') }, 'Model "ray-3" is not a valid value [item 2]', /^Use one of: ray-2, ray-flash-2, ray-3.2\.$/],
		['a model in the wrong case', { ...t2v, model: expr('Ray-3.2') }, 'Model "Ray-3.2" is not a valid value [item 2]', /^Did you mean "ray-3.2"\?/],
		['a callback URL with Ray 3.2', { ...t2v, model: expr('ray-3.2'), callbackUrl: 'https://example.com/hook' }, 'Callback URL cannot be used with Ray 3.2 [item 2]', /unified video API, which sends no callbacks: clear Callback URL/],
		['an aspect ratio mapped from an empty field', { ...r3, aspectRatio: expr('') }, 'Aspect Ratio is empty [item 2]', /^Set Aspect Ratio to one of: 16:9, 1:1, 9:16, 4:3, 3:4, 21:9\.$/],
		['a duration as a number', { ...r3, duration: expr(10) }, 'Duration must be written in seconds like "5s", not 10 [item 2]', /^Did you mean "10s"\? Ray 3.2 takes 5s or 10s, or leave Duration at Server Default\.$/],
		['a duration as a number Ray 2 does not make', { ...t2v, duration: expr('10') }, 'Duration must be written in seconds like "5s", not "10" [item 2]', /^Ray 2 takes 5s or 9s, or leave Duration at Server Default\.$/],
		['HDR given as text', { ...r3, hdr: expr('yes') }, 'HDR must be true or false [item 2]', /Turn HDR on or off/],
		['a mode version 2 does not have', { mode: 'videoToVideo', prompt: PROMPT }, 'Mode "videoToVideo" is not a valid value [item 2]', /editVideo/],
		['a short prompt', { ...r3, prompt: 'hi' }, 'Prompt is too short (2 characters) [item 2]', /3 to 5,000 characters/],
	];

	test.each(cases)('%s', (_label, parameters, message, fix) => {
		let error: (Error & { description?: string }) | undefined;
		try {
			build(parameters, 2);
		} catch (caught) {
			error = caught as Error & { description?: string };
		}
		expect(error?.message).toBe(message);
		expect(error?.description).toMatch(fix);
	});

	// No path through n8n reaches these (Loop is not shown in these modes, and Mode takes no
	// expression); the builder refuses them anyway.
	test.each([
		['editVideo', { videoUrl: VIDEO }, 'Edit Video', 'Ray 3.2 loops only in Text to Video or Image to Video.'],
		['reframeVideo', { videoUrl: VIDEO }, 'Reframe Video', 'Ray 3.2 loops only in Text to Video or Image to Video.'],
		['reverseExtend', { generationId: UUID1 }, 'Reverse Extend', 'Ray 2 loops only in Text to Video, Image to Video or Extend.'],
		['interpolate', { firstGenerationId: UUID1, secondGenerationId: UUID2 }, 'Interpolate', 'Ray 2 loops only in Text to Video, Image to Video or Extend.'],
	] as const)('a loop in %s, handed over by any context, is refused', (mode, extra, label, fix) => {
		expect(outcome(readCreateRequestV2, rawContext(current, 2, { mode, prompt: PROMPT, loop: true, ...extra }), 1)).toBe(
			`ERROR Loop cannot be used with ${label} [item 1] | Turn Loop off: ${fix}`,
		);
	});
});

describe('version 2 offers only what each model can do', () => {
	const v2 = (values: INodeParameters) => {
		const node = nodeOf(current, 2, values);
		const loaded = load(current, 2, values);
		return (name: string) =>
			current.properties.filter((property) => property.name === name && NodeHelpers.displayParameter(loaded, property, node, current));
	};
	const choices = (properties: INodeProperties[]) => {
		expect(properties).toHaveLength(1);
		return (properties[0].options as Array<{ value: string }>).map((option) => option.value);
	};

	test.each(VIDEO_MODES)('%s: the Model list is the models that can do it', (mode) => {
		expect(choices(v2({ mode })('model'))).toEqual(MODE_MODELS[mode]);
	});

	test('Ray 1.6 is not offered (version 1 keeps it)', () => {
		const offered = fieldsOf(current, 2).filter((property) => property.name === 'model').flatMap((property) => (property.options as Array<{ value: string }>).map((option) => option.value));
		expect(offered).not.toContain('ray-1-6');
	});

	test.each(MODE_MODEL_PAIRS)('%s on %s: aspect ratios, resolutions and durations are the model\'s own', (mode, model) => {
		const shown = v2({ mode, model });
		const ray3 = model === 'ray-3.2';
		expect(choices(shown('aspectRatio'))).toEqual(ray3 ? ['16:9', '1:1', '9:16', '4:3', '3:4', '21:9'] : ['16:9', '1:1', '9:16', '4:3', '3:4', '21:9', '9:21']);
		expect(choices(shown('resolution'))).toEqual(ray3 ? ['', '360p', '540p', '720p', '1080p'] : ['', '540p', '720p', '1080p', '4k']);
		expect(choices(shown('duration'))).toEqual(ray3 ? ['', '5s', '10s'] : ['', '5s', '9s']);
		expect(shown('hdr')).toHaveLength(ray3 ? 1 : 0);
		expect(shown('callbackUrl')).toHaveLength(ray3 ? 0 : 1);
		expect(shown('loop')).toHaveLength(['textToVideo', 'imageToVideo', 'extend'].includes(mode) ? 1 : 0);
		expect(shown('videoUrl')).toHaveLength(['editVideo', 'reframeVideo'].includes(mode) ? 1 : 0);
	});

	test('EXR Export is shown once HDR is on', () => {
		expect(v2({ model: 'ray-3.2' })('exrExport')).toHaveLength(0);
		expect(v2({ model: 'ray-3.2', hdr: true })('exrExport')).toHaveLength(1);
	});

	test('the Mode list names each mode as errors do', () => {
		const modes = fieldsOf(current, 2).find((property) => property.name === 'mode');
		expect((modes?.options as Array<{ name: string; value: string }>).map(({ name, value }) => [value, name])).toEqual([
			['editVideo', 'Edit Video'],
			['extend', 'Extend'],
			['imageToVideo', 'Image to Video'],
			['interpolate', 'Interpolate'],
			['reframeVideo', 'Reframe Video'],
			['reverseExtend', 'Reverse Extend'],
			['textToVideo', 'Text to Video'],
		]);
	});

	test('the subtitle names every mode', () => {
		const names = JSON.parse(/^=\{\{ (\{.*\})\[\$parameter\["mode"\]\] \}\}$/.exec(current.subtitle!)![1]);
		expect(Object.keys(names).sort()).toEqual([...VIDEO_MODES].sort());
		expect(names).toMatchObject({ editVideo: 'Edit Video', reframeVideo: 'Reframe Video', textToVideo: 'Text to Video' });
	});

	test('this is version 2, the default for a new node', () => {
		expect(current.version).toBe(2);
		expect(current.defaultVersion).toBe(2);
	});
});

describe('version 2 as an AI Agent tool: the model fills in the prompt and the source video; mode and model are settings', () => {
	const tool = { ...current, name: `${current.name}Tool` };
	test.each(VIDEO_MODES)('%s', (mode) => {
		const loaded = load(tool, 2, { mode });
		expect(loaded.prompt).toMatch(/^=\{\{ \$fromAI\('prompt', /);
		expect(loaded.mode).toBe(mode);
		expect(loaded.model).toBe(MODE_MODELS[mode][0]);
		if (['editVideo', 'reframeVideo'].includes(mode)) expect(loaded.videoUrl).toMatch(/^=\{\{ \$fromAI\('videoUrl', /);
		else expect(loaded.videoUrl).toBeUndefined();
		expect(loaded.toolDescription).toEqual(expect.any(String));
	});
});
