/**
 * Luma Generate's request builder, both versions, without a server: parameters are loaded the
 * way n8n loads a saved node (NodeHelpers.getNodeParameters for the node's typeVersion, which
 * applies `@version` and every other display option), then read as the node reads them.
 */
import type { IExecuteFunctions, INode, INodeParameters, INodeProperties, INodeTypeDescription, NodeParameterValueType } from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';

import { LumaGenerate } from '../../nodes/LumaGenerate/LumaGenerate.node';
import { readCreateRequest } from '../../nodes/LumaGenerate/request';
import type { VideoMode } from '../../nodes/shared/models';
import { MODE_RULES, MODELS, VIDEO_MODES } from '../../nodes/shared/models';
import { APIS } from '../../nodes/shared/transport';
import { validateCreate } from '../emulator/validate';
import { validateUnifiedCreate } from '../emulator/validate-unified';
import { generateProperties as releasedProperties } from './fixtures/generate-v1-51e2fac/description';
import { readCreateRequest as releasedReadCreateRequest } from './fixtures/generate-v1-51e2fac/request';

const current = new LumaGenerate().description;
/** Luma Generate as released at 51e2fac (version 1 only). */
const released = { ...current, version: 1, defaultVersion: undefined, properties: releasedProperties } as INodeTypeDescription;

const UUID1 = '0f3ea4aa-10e7-4dae-af0b-263ab4ac45f9';
const UUID2 = '755f9bbb-d99b-4880-992b-f05244ddba61';
const IMG_A = 'https://example.com/a.png';
const IMG_B = 'https://example.com/b.png';
const VIDEO = 'https://cdn.example.com/source.mp4';
const PROMPT = 'A red fox in fresh snow';

/** A parameter set to an expression that resolves to `value` (n8n shows every field an expression could unlock). */
function expr(value: unknown): string {
	return `={{ ${JSON.stringify(value)} }}`;
}

function evaluate(value: unknown): unknown {
	if (typeof value !== 'string' || !value.startsWith('=')) return value;
	const match = /^=\{\{ (.*) \}\}$/s.exec(value);
	if (!match) throw new Error(`the test harness cannot evaluate ${value}: set the parameter explicitly`);
	return JSON.parse(match[1]);
}

function nodeOf(type: INodeTypeDescription, typeVersion: number, parameters: INodeParameters): INode {
	return { id: 'node-1', name: 'Luma Generate', type: `n8n-nodes-apilaplas-luma.${type.name}`, typeVersion, position: [0, 0], parameters };
}

/** The parameters n8n keeps for a saved node: those shown for its version, defaults filled in. */
function load(type: INodeTypeDescription, typeVersion: number, parameters: INodeParameters): INodeParameters {
	return NodeHelpers.getNodeParameters(type.properties, parameters, true, false, nodeOf(type, typeVersion, parameters), type) ?? {};
}

/** What `this` is for the node's execute(), as far as the request builder uses it. */
function contextFor(type: INodeTypeDescription, typeVersion: number, parameters: INodeParameters): IExecuteFunctions {
	const loaded = load(type, typeVersion, parameters);
	const node = nodeOf(type, typeVersion, loaded);
	return {
		getNode: () => node,
		// n8n-core: lodash `get(node.parameters, name, fallback)`, then expressions are resolved.
		getNodeParameter: (name: string, _itemIndex: number, fallback?: unknown) => (loaded[name] === undefined ? fallback : evaluate(loaded[name])),
	} as unknown as IExecuteFunctions;
}

/** A context that hands the builder every parameter as given, shown or not (no n8n path does this). */
function rawContext(typeVersion: number, parameters: INodeParameters): IExecuteFunctions {
	const node = nodeOf(current, typeVersion, parameters);
	return {
		getNode: () => node,
		getNodeParameter: (name: string, _itemIndex: number, fallback?: unknown) => (parameters[name] === undefined ? fallback : evaluate(parameters[name])),
	} as unknown as IExecuteFunctions;
}

type Builder = (ctx: IExecuteFunctions, itemIndex: number) => unknown;

/** The request as JSON text (the bytes the Luma endpoint gets), or the error a user would read. */
function outcome(build: Builder, ctx: IExecuteFunctions, itemIndex = 0): string {
	try {
		return JSON.stringify(build(ctx, itemIndex));
	} catch (error) {
		const { message, description } = error as Error & { description?: string };
		return `ERROR ${message} | ${description}`;
	}
}

// ---- version 1: byte for byte what it was ----

/** A small deterministic random source, so the sample is the same on every run. */
function random(seed: number): () => number {
	return () => {
		seed = (seed + 0x6d2b79f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const ABSENT = Symbol('absent');
type Pool = Array<NodeParameterValueType | typeof ABSENT>;

/**
 * Each field's values: ones version 1 takes (including version 2's new fields, which version 1
 * must ignore) and ones it refuses.
 */
const V1_POOLS: Record<string, { good: Pool; bad: Pool }> = {
	mode: { good: ['textToVideo', 'imageToVideo', 'extend', 'reverseExtend', 'interpolate', ABSENT], bad: ['editVideo', 'Extend'] },
	prompt: { good: [PROMPT, expr('Made by an expression')], bad: ['hi', '', expr(42), expr('x'.repeat(5001))] },
	aspectRatio: { good: [ABSENT, '16:9', '1:1', '9:16', '4:3', '3:4', '21:9', '9:21', expr('9:21')], bad: ['19:9', expr('16/9')] },
	model: { good: [ABSENT, 'ray-2', 'ray-flash-2', 'ray-1-6', expr('ray-1-6')], bad: ['ray-3.2', 'Ray-2'] },
	loop: { good: [ABSENT, true, false, expr(true)], bad: [expr('yes')] },
	resolution: { good: [ABSENT, '', '540p', '720p', '1080p', '4k'], bad: [expr('360p'), '8k'] },
	duration: { good: [ABSENT, '', '5s', '9s'], bad: [expr('10s'), '7s'] },
	callbackUrl: { good: [ABSENT, '', 'https://example.com/hook'], bad: ['ftp://example.com/hook'] },
	startImageUrl: { good: [ABSENT, IMG_A, IMG_A, ''], bad: ['ftp://example.com/a.png'] },
	endImageUrl: { good: [ABSENT, IMG_B, ''], bad: ['javascript:alert(1)'] },
	generationId: { good: [UUID1, `${UUID1}:luma/ray-2`], bad: ['abc-123', ''] },
	firstGenerationId: { good: [UUID1], bad: [''] },
	secondGenerationId: { good: [UUID2], bad: ['not-an-id'] },
	videoUrl: { good: [ABSENT, VIDEO], bad: [] },
	hdr: { good: [ABSENT, true], bad: [] },
	exrExport: { good: [ABSENT, true], bad: [] },
	options: { good: [ABSENT, { dryRun: true }], bad: [] },
};

/** A parameter set: half of them all good, the others with one field bad (the rules between fields still refuse some). */
function sample(next: () => number): INodeParameters {
	const pick = (pool: Pool) => pool[Math.floor(next() * pool.length)];
	const fields = Object.keys(V1_POOLS);
	const spoilable = fields.filter((field) => V1_POOLS[field].bad.length);
	const spoilt = next() < 0.5 ? spoilable[Math.floor(next() * spoilable.length)] : undefined;
	const parameters: INodeParameters = {};
	for (const field of fields) {
		const value = pick(field === spoilt ? V1_POOLS[field].bad : V1_POOLS[field].good);
		if (value !== ABSENT) parameters[field] = value;
	}
	return parameters;
}

describe('version 1 is frozen: a saved workflow builds the very request it built at 51e2fac', () => {
	test('hand-checked bodies, as the released builder made them', () => {
		// Computed once with `git show 51e2fac:nodes/LumaGenerate/request.ts`; `loop: false` is part of the bytes.
		const cases: Array<[INodeParameters, string]> = [
			[{ prompt: PROMPT }, '{"mode":"textToVideo","body":{"prompt":"A red fox in fresh snow","aspect_ratio":"16:9","model":"ray-2","loop":false}}'],
			[
				{ mode: 'extend', prompt: PROMPT, generationId: UUID1, endImageUrl: IMG_B, model: 'ray-1-6', resolution: '4k', duration: '9s', callbackUrl: 'https://example.com/hook' },
				`{"mode":"extend","body":{"prompt":"A red fox in fresh snow","aspect_ratio":"16:9","model":"ray-1-6","keyframes":{"frame0":{"type":"generation","id":"${UUID1}"},"frame1":{"type":"image","url":"${IMG_B}"}},"loop":false,"resolution":"4k","duration":"9s","callback_url":"https://example.com/hook"}}`,
			],
			[
				{ mode: 'interpolate', prompt: PROMPT, firstGenerationId: UUID1, secondGenerationId: UUID2, aspectRatio: '9:21' },
				`{"mode":"interpolate","body":{"prompt":"A red fox in fresh snow","aspect_ratio":"9:21","model":"ray-2","keyframes":{"frame0":{"type":"generation","id":"${UUID1}"},"frame1":{"type":"generation","id":"${UUID2}"}}}}`,
			],
		];
		for (const [parameters, bytes] of cases) {
			expect(outcome(releasedReadCreateRequest, contextFor(released, 1, parameters))).toBe(bytes);
			expect(outcome(readCreateRequest, contextFor(current, 1, parameters))).toBe(bytes);
		}
	});

	test('3,000 sampled parameter sets: the same bytes, or the same error, as the released node', () => {
		const next = random(51);
		let built = 0;
		let refused = 0;
		for (let i = 0; i < 3000; i++) {
			const parameters = sample(next);
			const before = outcome(releasedReadCreateRequest, contextFor(released, 1, parameters), i % 3);
			const after = outcome(readCreateRequest, contextFor(current, 1, parameters), i % 3);
			if (after !== before) throw new Error(`version 1 differs for ${JSON.stringify(parameters)}:\n  released: ${before}\n  now:      ${after}`);
			if (before.startsWith('ERROR')) refused++;
			else built++;
		}
		// The sample reaches both sides: bodies built and items refused.
		expect(built).toBeGreaterThan(1000);
		expect(refused).toBeGreaterThan(1000);
	});

	test('every mode with every released model, loop on and off, each resolution and duration: the same bytes', () => {
		const frames: Record<string, INodeParameters> = {
			textToVideo: {},
			imageToVideo: { startImageUrl: IMG_A, endImageUrl: IMG_B },
			extend: { generationId: UUID1 },
			reverseExtend: { generationId: UUID1, startImageUrl: IMG_A },
			interpolate: { firstGenerationId: UUID1, secondGenerationId: UUID2 },
		};
		let compared = 0;
		for (const [mode, extra] of Object.entries(frames)) {
			for (const model of ['ray-2', 'ray-flash-2', 'ray-1-6']) {
				for (const loop of [true, false]) {
					for (const resolution of ['', '540p', '720p', '1080p', '4k']) {
						for (const duration of ['', '5s', '9s']) {
							const parameters = { mode, prompt: PROMPT, model, loop, resolution, duration, ...extra };
							const before = outcome(releasedReadCreateRequest, contextFor(released, 1, parameters));
							expect(outcome(readCreateRequest, contextFor(current, 1, parameters))).toBe(before);
							compared++;
						}
					}
				}
			}
		}
		expect(compared).toBe(5 * 3 * 2 * 5 * 3);
	});

	test('a saved version 1 node opens with the same fields, values and choices in every mode', () => {
		const ADDED_OPTIONS = ['maxQueueWaitMinutes'];
		const shape = (type: INodeTypeDescription, values: INodeParameters, toolVariant: boolean) => {
			const description = toolVariant ? { ...type, name: `${type.name}Tool` } : type;
			const node = nodeOf(description, 1, values);
			const loaded = load(description, 1, values);
			return description.properties
				.filter((property) => NodeHelpers.displayParameter(loaded, property, node, description))
				.map(({ name, type: kind, default: value, options }) => ({
					name,
					kind,
					value,
					// Options added to the Options collection later (issue 19's queue wait) are absent from a
					// saved node until a user adds them: they change nothing it shows or sends.
					choices: (options as Array<{ value?: unknown; name: string }> | undefined)
						?.map((option) => option.value ?? option.name)
						.filter((choice) => !ADDED_OPTIONS.includes(choice as string)),
				}));
		};
		// Fields set by expression show every field they could unlock; a value version 2 added must not unlock its fields.
		const others = [{}, { model: '={{ $json.model }}', loop: '={{ $json.loop }}' }, { model: 'ray-3.2', hdr: true }];
		for (const mode of ['textToVideo', 'imageToVideo', 'extend', 'reverseExtend', 'interpolate']) {
			for (const values of others) {
				for (const toolVariant of [false, true]) {
					expect(shape(current, { mode, ...values }, toolVariant)).toEqual(shape(released, { mode, ...values }, toolVariant));
				}
			}
		}
	});
});

// ---- version 2 ----

function build(parameters: INodeParameters, itemIndex = 0) {
	return readCreateRequest(contextFor(current, 2, parameters), itemIndex);
}

const FRAMES: Record<VideoMode, { parameters: INodeParameters; body: Record<string, unknown> }> = {
	textToVideo: { parameters: {}, body: {} },
	imageToVideo: {
		parameters: { startImageUrl: IMG_A, endImageUrl: IMG_B },
		body: { keyframes: { frame0: { type: 'image', url: IMG_A }, frame1: { type: 'image', url: IMG_B } } },
	},
	extend: {
		parameters: { generationId: `${UUID1}:luma/ray-2`, endImageUrl: IMG_B },
		body: { keyframes: { frame0: { type: 'generation', id: UUID1 }, frame1: { type: 'image', url: IMG_B } } },
	},
	reverseExtend: {
		parameters: { generationId: UUID1, startImageUrl: IMG_A },
		body: { keyframes: { frame0: { type: 'image', url: IMG_A }, frame1: { type: 'generation', id: UUID1 } } },
	},
	interpolate: {
		parameters: { firstGenerationId: UUID1, secondGenerationId: UUID2 },
		body: { keyframes: { frame0: { type: 'generation', id: UUID1 }, frame1: { type: 'generation', id: UUID2 } } },
	},
	editVideo: { parameters: { videoUrl: VIDEO }, body: { type: 'video_edit', video_url: VIDEO } },
	reframeVideo: { parameters: { videoUrl: VIDEO, aspectRatio: '9:16' }, body: { aspect_ratio: '9:16', type: 'video_reframe', video_url: VIDEO } },
};

const MODE_MODEL_PAIRS = VIDEO_MODES.flatMap((mode) => MODE_RULES[mode].models.map((model) => [mode, model] as const));

describe('version 2: every mode of every model it offers', () => {
	test('the pairs offered', () => {
		expect(MODE_MODEL_PAIRS.map((pair) => pair.join(' '))).toEqual([
			'textToVideo ray-2',
			'textToVideo ray-flash-2',
			'textToVideo ray-3.2',
			'imageToVideo ray-2',
			'imageToVideo ray-flash-2',
			'imageToVideo ray-3.2',
			'extend ray-2',
			'extend ray-flash-2',
			'reverseExtend ray-2',
			'reverseExtend ray-flash-2',
			'interpolate ray-2',
			'interpolate ray-flash-2',
			'editVideo ray-3.2',
			'reframeVideo ray-3.2',
		]);
	});

	test.each(MODE_MODEL_PAIRS)('%s on %s builds the request with the fields set, and nothing else', (mode, model) => {
		const { parameters, body } = FRAMES[mode];
		const request = build({ mode, model, prompt: PROMPT, ...parameters });
		expect(request).toEqual({ mode, body: { prompt: PROMPT, aspect_ratio: '16:9', model, ...body } });
		// Keys in the order the Luma endpoint has always been sent them.
		const order = ['prompt', 'aspect_ratio', 'model', 'keyframes', 'loop', 'resolution', 'duration', 'callback_url', 'type', 'video_url', 'hdr', 'exr_export'];
		const keys = Object.keys(request.body);
		expect(keys).toEqual(order.filter((key) => keys.includes(key)));
	});

	test.each(MODE_MODEL_PAIRS)('%s on %s: the default model of the mode needs no Model set', (mode) => {
		const request = build({ mode, prompt: PROMPT, ...FRAMES[mode].parameters });
		expect(request.body.model).toBe(MODE_RULES[mode].models[0]);
	});

	test('Ray 2 and Ray Flash 2 with every option: all ratios, 540p to 4k, 5 or 9 seconds, loop, callback', () => {
		for (const model of ['ray-2', 'ray-flash-2']) {
			for (const aspectRatio of MODELS['ray-2'].aspectRatios) {
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
			} catch {
				continue;
			}
			for (const api of MODELS[request.body.model].apis) {
				// The transport refuses a callback URL on the unified API itself, before sending.
				if (APIS[api].refusal(request.body)) continue;
				const body = APIS[api].createBody(request.body);
				const problem = api === 'unified' ? validateUnifiedCreate(body) : validateCreate(body);
				if (problem) throw new Error(`${api} refuses ${JSON.stringify(body)} (from ${JSON.stringify(parameters)}): ${problem}`);
				checked++;
			}
		}
		expect(checked).toBeGreaterThan(600);
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
		expect(outcome(readCreateRequest, rawContext(2, { mode, prompt: PROMPT, loop: true, ...extra }), 1)).toBe(
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
		expect(choices(v2({ mode })('model'))).toEqual(MODE_RULES[mode].models);
	});

	test('Ray 1.6 is offered in version 1 only', () => {
		const offered = current.properties
			.filter((property) => property.name === 'model')
			.flatMap((property) => (property.options as Array<{ value: string }>).map((option) => ({ value: option.value, versions: property.displayOptions?.show?.['@version'] })));
		expect(offered.filter((option) => option.value === 'ray-1-6')).toEqual([{ value: 'ray-1-6', versions: [1] }]);
	});

	test.each(MODE_MODEL_PAIRS)('%s on %s: aspect ratios, resolutions and durations are the model\'s own', (mode, model) => {
		const shown = v2({ mode, model });
		expect(choices(shown('aspectRatio'))).toEqual(MODELS[model].aspectRatios);
		expect(choices(shown('resolution'))).toEqual(['', ...MODELS[model].resolutions]);
		expect(choices(shown('duration'))).toEqual(['', ...MODELS[model].durations]);
		expect(shown('hdr')).toHaveLength(model === 'ray-3.2' ? 1 : 0);
		expect(shown('callbackUrl')).toHaveLength(model === 'ray-3.2' ? 0 : 1);
		expect(shown('loop')).toHaveLength(MODE_RULES[mode].loop ? 1 : 0);
		expect(shown('videoUrl')).toHaveLength(MODE_RULES[mode].type ? 1 : 0);
	});

	test('EXR Export is shown once HDR is on', () => {
		expect(v2({ model: 'ray-3.2' })('exrExport')).toHaveLength(0);
		expect(v2({ model: 'ray-3.2', hdr: true })('exrExport')).toHaveLength(1);
	});

	test('the Mode list names each mode as errors do', () => {
		const modes = current.properties.find((property) => property.name === 'mode' && property.displayOptions?.show?.['@version']?.includes(2));
		expect((modes?.options as Array<{ name: string; value: VideoMode }>).map(({ name, value }) => [value, name])).toEqual(
			[...VIDEO_MODES].sort().map((mode) => [mode, MODE_RULES[mode].label]),
		);
	});

	test('the subtitle names every mode', () => {
		const names = JSON.parse(/^=\{\{ (\{.*\})\[\$parameter\["mode"\]\] \}\}$/.exec(current.subtitle!)![1]);
		expect(Object.keys(names).sort()).toEqual([...VIDEO_MODES].sort());
		expect(names).toMatchObject({ editVideo: 'Edit Video', reframeVideo: 'Reframe Video', textToVideo: 'Text to Video' });
	});

	test('a new node is version 2; saved ones keep their version', () => {
		expect(current.version).toEqual([1, 2]);
		expect(current.defaultVersion).toBe(2);
	});
});

describe('version 2 as an AI Agent tool: the model fills in the prompt and the source video; mode and model are settings', () => {
	const tool = { ...current, name: `${current.name}Tool` };
	test.each(VIDEO_MODES)('%s', (mode) => {
		const loaded = load(tool, 2, { mode });
		expect(loaded.prompt).toMatch(/^=\{\{ \$fromAI\('prompt', /);
		expect(loaded.mode).toBe(mode);
		expect(loaded.model).toBe(MODE_RULES[mode].models[0]);
		if (MODE_RULES[mode].type) expect(loaded.videoUrl).toMatch(/^=\{\{ \$fromAI\('videoUrl', /);
		else expect(loaded.videoUrl).toBeUndefined();
		expect(loaded.toolDescription).toEqual(expect.any(String));
	});
});
