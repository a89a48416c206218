/**
 * Every mode × model × option of both versions, on gateways serving both APIs, only the unified
 * API, or only the Luma endpoint: each combination either makes a generation (the emulator, which
 * checks bodies by the published schemas' rules, accepts it) or is refused before anything is
 * sent, with an error naming the item and the field. Never a create the server refuses.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import type { ApiFlavour } from '../../emulator/emulator';
import { chain, GENERATE_TYPE, items, node, runWorkflow, TRIGGER_TYPE } from '../../helpers/engine';
import { useEmulator } from '../../helpers/emulator';

const IMG_A = 'https://example.com/a.png';
const IMG_B = 'https://example.com/b.png';
const VIDEO = 'https://cdn.example.com/source.mp4';

/** Written out here, not taken from the nodes' tables, so the sweep cannot follow a change in them. */
const MODES = {
	1: ['textToVideo', 'imageToVideo', 'extend', 'reverseExtend', 'interpolate'],
	2: ['textToVideo', 'imageToVideo', 'extend', 'reverseExtend', 'interpolate', 'editVideo', 'reframeVideo'],
} as const;
const MODELS = { 1: ['ray-2', 'ray-flash-2', 'ray-1-6'], 2: ['ray-2', 'ray-flash-2', 'ray-3.2', 'ray-1-6'] } as const;
const ASPECT_RATIOS = ['16:9', '1:1', '9:16', '4:3', '3:4', '21:9', '9:21'];
const RESOLUTIONS = ['', '360p', '540p', '720p', '1080p', '4k'];
const DURATIONS = ['', '5s', '9s', '10s'];
/** The fields an error may name: the sweep's refusals must each name one of them. */
const FIELDS = ['Mode', 'Model', 'Aspect Ratio', 'Resolution', 'Duration', 'Loop', 'HDR', 'EXR Export', 'Callback URL', 'End Image URL'];
const NAMES_A_FIELD = new RegExp(`^(${FIELDS.join('|')}) .*\\[item (\\d+)\\]$`);

const PARAMETERS = Object.fromEntries(
	['prompt', 'model', 'aspectRatio', 'resolution', 'duration', 'loop', 'hdr', 'exrExport', 'callbackUrl', 'videoUrl', 'startImageUrl', 'endImageUrl', 'generationId', 'firstGenerationId', 'secondGenerationId'].map(
		(field) => [field, `={{ $json.${field} }}`],
	),
);

/** One item per option value (the others at the mode's base), plus the combinations the APIs rule on together. */
function combinations(version: 1 | 2, base: IDataObject): IDataObject[] {
	const one = (changes: IDataObject) => ({ ...base, ...changes });
	const list = [
		...ASPECT_RATIOS.map((aspectRatio) => one({ aspectRatio })),
		...RESOLUTIONS.map((resolution) => one({ resolution })),
		...DURATIONS.map((duration) => one({ duration })),
		one({ loop: true }),
		one({ loop: true, endImageUrl: IMG_B }),
		one({ callbackUrl: 'https://example.com/hook' }),
	];
	if (version === 2) {
		for (const resolution of ['360p', '540p', '720p', '1080p']) for (const duration of ['5s', '10s']) list.push(one({ hdr: true, resolution, duration }));
		list.push(one({ exrExport: true }), one({ hdr: true, exrExport: true, resolution: '1080p' }));
	}
	return list;
}

function baseFor(mode: string, model: string, sources: { a: string; b: string }): IDataObject {
	const base: IDataObject = { prompt: `A ${mode} on ${model}`, model, aspectRatio: '16:9', resolution: '', duration: '', loop: false, hdr: false, exrExport: false, callbackUrl: '', endImageUrl: '' };
	if (mode === 'imageToVideo') Object.assign(base, { startImageUrl: IMG_A });
	if (mode === 'extend' || mode === 'reverseExtend') Object.assign(base, { generationId: sources.a, startImageUrl: IMG_A });
	if (mode === 'interpolate') Object.assign(base, { firstGenerationId: sources.a, secondGenerationId: sources.b });
	if (mode === 'editVideo' || mode === 'reframeVideo') Object.assign(base, { videoUrl: VIDEO });
	return base;
}

describe.each<ApiFlavour>(['both', 'unified', 'luma'])('a gateway serving %s', (apis) => {
	const env = useEmulator({ apis, crossApiIds: true });
	const totals = { created: 0, refused: 0 };

	afterAll(() => {
		// Neither side of the sweep may be empty: a sweep that refuses (or sends) everything proves nothing.
		expect(totals.created).toBeGreaterThan(100);
		expect(totals.refused).toBeGreaterThan(100);
	});

	for (const version of [1, 2] as const) {
		test.each(MODES[version].flatMap((mode) => MODELS[version].map((model) => [mode, model])))(
			`version ${version}, %s on %s: every option either creates or is refused before sending, naming item and field`,
			async (mode, model) => {
				const home = apis === 'unified' ? 'unified' : 'luma';
				const sources = { a: env.emulator.seed('Source A', { queuedMs: 0, dreamingMs: 0 }, home), b: env.emulator.seed('Source B', { queuedMs: 0, dreamingMs: 0 }, home) };
				const inputs = combinations(version, baseFor(mode, model, sources));
				const result = await runWorkflow({
					nodes: [
						node('Trigger', TRIGGER_TYPE),
						{
							...node('Generate', GENERATE_TYPE, { ...PARAMETERS, mode, options: { maxCreatesPerRun: 1000, createsPerMinute: 600 } }),
							typeVersion: version,
							onError: 'continueRegularOutput',
						},
					],
					connections: chain('Trigger', 'Generate'),
					items: items(...inputs),
					credentials: env.credentials,
				});
				expect(result.error).toBeUndefined();
				const out: INodeExecutionData[] = result.outputs('Generate')[0];
				expect(out).toHaveLength(inputs.length);
				const creates = env.emulator.log.filter((entry) => entry.endpoint === 'create');
				// Every create that left was accepted: the server refused nothing the node sent.
				expect(creates.map((entry) => entry.status).filter((status) => status !== 201)).toEqual([]);
				out.forEach((item, index) => {
					if (typeof item.json.id === 'string') return;
					expect(String(item.json.error)).toMatch(NAMES_A_FIELD);
					expect(String(item.json.error).match(NAMES_A_FIELD)![2]).toBe(String(index));
				});
				const created = out.filter((item) => typeof item.json.id === 'string').length;
				expect(creates).toHaveLength(created);
				totals.created += created;
				totals.refused += out.length - created;
			},
		);
	}

	test('spot checks, written out: what each gateway makes of a few combinations', async () => {
		const run = (model: string, fields: IDataObject) =>
			runWorkflow({
				nodes: [node('Trigger', TRIGGER_TYPE), { ...node('Generate', GENERATE_TYPE, { ...PARAMETERS, mode: 'textToVideo' }), typeVersion: 2, onError: 'continueRegularOutput' }],
				connections: chain('Trigger', 'Generate'),
				items: items({ prompt: 'A spot check', model, aspectRatio: '16:9', loop: false, hdr: false, exrExport: false, ...fields }),
				credentials: env.credentials,
			});
		const [ray3At921] = (await run('ray-3.2', { aspectRatio: '9:21' })).outputs('Generate')[0];
		expect(ray3At921.json.error).toBe('Aspect Ratio "9:21" is not available on Ray 3.2 [item 0]');
		const [ray2In4k] = (await run('ray-2', { resolution: '4k' })).outputs('Generate')[0];
		if (apis === 'luma') {
			expect(ray2In4k.json).toMatchObject({ api: 'luma', request: { resolution: '4k' } });
			const [ray3] = (await run('ray-3.2', {})).outputs('Generate')[0];
			expect(ray3.json.error).toMatch(/^Model .*Ray 3\.2.*\[item 0\]$/);
		} else {
			expect(ray2In4k.json.id).toEqual(expect.any(String));
			const [hdr] = (await run('ray-3.2', { hdr: true, resolution: '1080p' })).outputs('Generate')[0];
			expect(hdr.json).toMatchObject({ api: 'unified', request: { hdr: true, resolution: '1080p' } });
		}
	});
});
