/**
 * The create body of every mode, on every model each version offers, in one written-out table:
 * what Luma Generate shows as `request` on its output, and the bytes the gateway receives (the
 * Luma endpoint gets `request` as it is; Ray 3.2 goes to the unified video API in that API's
 * words, docs/API.md §4.1). Run through n8n's engine against an emulated gateway serving both
 * APIs. ID1 and ID2 stand for two completed generations the gateway holds.
 */
import type { INode } from 'n8n-workflow';

import { chain, GENERATE_TYPE, items, node, runWorkflow, TRIGGER_TYPE } from '../../helpers/engine';
import { useEmulator } from '../../helpers/emulator';

const env = useEmulator({ apis: 'both' });

const IMG_A = 'https://example.com/a.png';
const IMG_B = 'https://example.com/b.png';
const VIDEO = 'https://cdn.example.com/source.mp4';
const HOOK = 'https://example.com/hook';

/** Version, what the user set (the prompt is always "A red fox in fresh snow"), the `request` shown, and what the unified API gets when it is not that. */
type Row = [version: 1 | 2, parameters: INode['parameters'], request: string, unifiedBody?: string];

const P = '"prompt":"A red fox in fresh snow"';
const G1 = '{"type":"generation","id":"ID1"}';
const G2 = '{"type":"generation","id":"ID2"}';
const A = `{"type":"image","url":"${IMG_A}"}`;
const B = `{"type":"image","url":"${IMG_B}"}`;

const TABLE: Row[] = [
	// ---- version 1: loop is sent, true or false, in the modes that loop ----
	[1, { mode: 'textToVideo' }, `{${P},"aspect_ratio":"16:9","model":"ray-2","loop":false}`],
	[
		1,
		{ mode: 'textToVideo', aspectRatio: '9:21', loop: true, model: 'ray-flash-2', resolution: '4k', duration: '9s', callbackUrl: HOOK },
		`{${P},"aspect_ratio":"9:21","model":"ray-flash-2","loop":true,"resolution":"4k","duration":"9s","callback_url":"${HOOK}"}`,
	],
	[1, { mode: 'textToVideo', model: 'ray-1-6' }, `{${P},"aspect_ratio":"16:9","model":"ray-1-6","loop":false}`],
	[1, { mode: 'imageToVideo', startImageUrl: IMG_A, loop: true }, `{${P},"aspect_ratio":"16:9","model":"ray-2","keyframes":{"frame0":${A}},"loop":true}`],
	[1, { mode: 'imageToVideo', endImageUrl: IMG_B }, `{${P},"aspect_ratio":"16:9","model":"ray-2","keyframes":{"frame1":${B}},"loop":false}`],
	[1, { mode: 'imageToVideo', startImageUrl: IMG_A, endImageUrl: IMG_B }, `{${P},"aspect_ratio":"16:9","model":"ray-2","keyframes":{"frame0":${A},"frame1":${B}},"loop":false}`],
	[1, { mode: 'extend', generationId: 'ID1' }, `{${P},"aspect_ratio":"16:9","model":"ray-2","keyframes":{"frame0":${G1}},"loop":false}`],
	[1, { mode: 'extend', generationId: 'ID1', endImageUrl: IMG_B }, `{${P},"aspect_ratio":"16:9","model":"ray-2","keyframes":{"frame0":${G1},"frame1":${B}},"loop":false}`],
	[1, { mode: 'reverseExtend', generationId: 'ID1' }, `{${P},"aspect_ratio":"16:9","model":"ray-2","keyframes":{"frame1":${G1}}}`],
	[1, { mode: 'reverseExtend', generationId: 'ID1', startImageUrl: IMG_A }, `{${P},"aspect_ratio":"16:9","model":"ray-2","keyframes":{"frame0":${A},"frame1":${G1}}}`],
	[1, { mode: 'interpolate', firstGenerationId: 'ID1', secondGenerationId: 'ID2' }, `{${P},"aspect_ratio":"16:9","model":"ray-2","keyframes":{"frame0":${G1},"frame1":${G2}}}`],

	// ---- version 2: a loop is sent only when on; every mode on each model that makes it ----
	[2, { mode: 'textToVideo', model: 'ray-2' }, `{${P},"aspect_ratio":"16:9","model":"ray-2"}`],
	[
		2,
		{ mode: 'textToVideo', model: 'ray-flash-2', aspectRatio: '9:21', loop: true, resolution: '4k', duration: '9s', callbackUrl: HOOK },
		`{${P},"aspect_ratio":"9:21","model":"ray-flash-2","loop":true,"resolution":"4k","duration":"9s","callback_url":"${HOOK}"}`,
	],
	[2, { mode: 'textToVideo', model: 'ray-3.2' }, `{${P},"aspect_ratio":"16:9","model":"ray-3.2"}`, `{"model":"luma/ray-3.2",${P},"aspect_ratio":"16:9"}`],
	[
		2,
		{ mode: 'textToVideo', model: 'ray-3.2', aspectRatio: '21:9', resolution: '1080p', hdr: true, exrExport: true },
		`{${P},"aspect_ratio":"21:9","model":"ray-3.2","resolution":"1080p","duration":"5s","hdr":true,"exr_export":true}`,
		`{"model":"luma/ray-3.2",${P},"aspect_ratio":"21:9","resolution":"1080p","duration":5,"hdr":true,"exr_export":true}`,
	],
	[
		2,
		{ mode: 'textToVideo', model: 'ray-3.2', resolution: '360p', duration: '10s', loop: true },
		`{${P},"aspect_ratio":"16:9","model":"ray-3.2","loop":true,"resolution":"360p","duration":"10s"}`,
		`{"model":"luma/ray-3.2",${P},"aspect_ratio":"16:9","resolution":"360p","duration":10,"loop":true}`,
	],
	[2, { mode: 'imageToVideo', model: 'ray-2', startImageUrl: IMG_A }, `{${P},"aspect_ratio":"16:9","model":"ray-2","keyframes":{"frame0":${A}}}`],
	[2, { mode: 'imageToVideo', model: 'ray-flash-2', startImageUrl: IMG_A, endImageUrl: IMG_B }, `{${P},"aspect_ratio":"16:9","model":"ray-flash-2","keyframes":{"frame0":${A},"frame1":${B}}}`],
	[
		2,
		{ mode: 'imageToVideo', model: 'ray-3.2', startImageUrl: IMG_A, endImageUrl: IMG_B },
		`{${P},"aspect_ratio":"16:9","model":"ray-3.2","keyframes":{"frame0":${A},"frame1":${B}}}`,
		`{"model":"luma/ray-3.2",${P},"aspect_ratio":"16:9","image_url":"${IMG_A}","last_image_url":"${IMG_B}"}`,
	],
	[
		2,
		{ mode: 'imageToVideo', model: 'ray-3.2', startImageUrl: IMG_A, loop: true },
		`{${P},"aspect_ratio":"16:9","model":"ray-3.2","keyframes":{"frame0":${A}},"loop":true}`,
		`{"model":"luma/ray-3.2",${P},"aspect_ratio":"16:9","loop":true,"image_url":"${IMG_A}"}`,
	],
	[2, { mode: 'extend', model: 'ray-2', generationId: 'ID1' }, `{${P},"aspect_ratio":"16:9","model":"ray-2","keyframes":{"frame0":${G1}}}`],
	[2, { mode: 'extend', model: 'ray-flash-2', generationId: 'ID1', endImageUrl: IMG_B }, `{${P},"aspect_ratio":"16:9","model":"ray-flash-2","keyframes":{"frame0":${G1},"frame1":${B}}}`],
	[2, { mode: 'reverseExtend', model: 'ray-2', generationId: 'ID1', startImageUrl: IMG_A }, `{${P},"aspect_ratio":"16:9","model":"ray-2","keyframes":{"frame0":${A},"frame1":${G1}}}`],
	[2, { mode: 'reverseExtend', model: 'ray-flash-2', generationId: 'ID1' }, `{${P},"aspect_ratio":"16:9","model":"ray-flash-2","keyframes":{"frame1":${G1}}}`],
	[2, { mode: 'interpolate', model: 'ray-2', firstGenerationId: 'ID1', secondGenerationId: 'ID2' }, `{${P},"aspect_ratio":"16:9","model":"ray-2","keyframes":{"frame0":${G1},"frame1":${G2}}}`],
	[
		2,
		{ mode: 'interpolate', model: 'ray-flash-2', firstGenerationId: 'ID1', secondGenerationId: 'ID2', aspectRatio: '1:1' },
		`{${P},"aspect_ratio":"1:1","model":"ray-flash-2","keyframes":{"frame0":${G1},"frame1":${G2}}}`,
	],
	[
		2,
		{ mode: 'editVideo', videoUrl: VIDEO },
		`{${P},"aspect_ratio":"16:9","model":"ray-3.2","type":"video_edit","video_url":"${VIDEO}"}`,
		`{"model":"luma/ray-3.2",${P},"type":"video_edit","aspect_ratio":"16:9","video_url":"${VIDEO}"}`,
	],
	[
		2,
		{ mode: 'reframeVideo', videoUrl: VIDEO, aspectRatio: '9:16' },
		`{${P},"aspect_ratio":"9:16","model":"ray-3.2","type":"video_reframe","video_url":"${VIDEO}"}`,
		`{"model":"luma/ray-3.2",${P},"type":"video_reframe","aspect_ratio":"9:16","video_url":"${VIDEO}"}`,
	],
];

describe('the create body of each mode and version, as shown on the output and as the gateway receives it', () => {
	// Every row as five arguments: with fewer, jest would hand the test a `done` callback for the last.
	test.each(TABLE.map(([version, parameters, request, unifiedBody]) => [`version ${version}, ${JSON.stringify(parameters)}`, version, parameters, request, unifiedBody ?? null] as const))('%s', async (_label, version, parameters, request, unifiedBody) => {
		const ids = { ID1: env.emulator.seed('earlier one', { queuedMs: 0, dreamingMs: 0 }), ID2: env.emulator.seed('earlier two', { queuedMs: 0, dreamingMs: 0 }) };
		const withIds = (text: string) => text.replace(/ID([12])/g, (id) => ids[id as 'ID1' | 'ID2']);
		const result = await runWorkflow({
			nodes: [
				node('Trigger', TRIGGER_TYPE),
				{ ...node('Generate', GENERATE_TYPE, JSON.parse(withIds(JSON.stringify({ prompt: 'A red fox in fresh snow', ...parameters })))), typeVersion: version },
			],
			connections: chain('Trigger', 'Generate'),
			items: items({}),
			credentials: env.credentials,
		});
		expect(result.error).toBeUndefined();
		const [item] = result.outputs('Generate')[0];
		expect(JSON.stringify(item.json.request)).toBe(withIds(request));
		const creates = env.emulator.log.filter((entry) => entry.endpoint === 'create');
		expect(creates.map((entry) => [entry.api, JSON.stringify(entry.body)])).toEqual([unifiedBody ? ['unified', withIds(unifiedBody)] : ['luma', withIds(request)]]);
		expect(item.json).toMatchObject({ id: expect.any(String), state: 'queued', api: unifiedBody ? 'unified' : 'luma' });
	});
});
