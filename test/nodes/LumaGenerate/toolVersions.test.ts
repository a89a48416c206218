/**
 * Luma Generate's AI Agent tool in n8n 1.x: one process builds the tool once, from the version
 * first asked for, and serves every later tool node of either version with it
 * (`nodeTypesCachingToolsByName`). Each version's tool node must still send its own create body:
 * version 1 the released one (with `loop: false`), version 2 Ray 3.2 with HDR on the unified API.
 */
import type { INode } from 'n8n-workflow';

import { chain, GENERATE_TOOL_TYPE, items, node, nodeTypesCachingToolsByName, runWorkflow, TRIGGER_TYPE } from '../../helpers/engine';
import type { RunOptions } from '../../helpers/engine';
import { useEmulator } from '../../helpers/emulator';

const env = useEmulator({ apis: 'both' });

const PROMPT = 'A red fox in fresh snow';
const V1_PARAMETERS = { mode: 'textToVideo', prompt: PROMPT };
const V1_BODY = '{"prompt":"A red fox in fresh snow","aspect_ratio":"16:9","model":"ray-2","loop":false}';
const V2_PARAMETERS = { mode: 'textToVideo', prompt: PROMPT, model: 'ray-3.2', aspectRatio: '21:9', resolution: '1080p', hdr: true, exrExport: true };
const V2_BODY = '{"model":"luma/ray-3.2","prompt":"A red fox in fresh snow","aspect_ratio":"21:9","resolution":"1080p","duration":5,"hdr":true,"exr_export":true}';

/** Runs one tool node of `typeVersion`; returns the create requests the gateway got, as [API, body]. */
async function toolCall(nodeTypes: RunOptions['nodeTypes'], typeVersion: number, parameters: INode['parameters']) {
	const before = env.emulator.log.length;
	const result = await runWorkflow({
		nodes: [node('Trigger', TRIGGER_TYPE), { ...node('Generate', GENERATE_TOOL_TYPE, parameters), typeVersion }],
		connections: chain('Trigger', 'Generate'),
		items: items({ query: 'make me a video of a fox' }),
		credentials: env.credentials,
		nodeTypes,
	});
	expect(result.error?.message).toBeUndefined();
	expect(result.outputs('Generate')[0][0].json).toMatchObject({ id: expect.any(String), state: 'queued' });
	return env.emulator.log
		.slice(before)
		.filter((entry) => entry.endpoint === 'create')
		.map((entry) => [entry.api, JSON.stringify(entry.body)]);
}

test('the tool built from version 2 first: a version 1 tool node still sends the released body, loop false included', async () => {
	const oneProcess = nodeTypesCachingToolsByName();
	expect(await toolCall(oneProcess, 2, V2_PARAMETERS)).toEqual([['unified', V2_BODY]]);
	expect(await toolCall(oneProcess, 1, V1_PARAMETERS)).toEqual([['luma', V1_BODY]]);
});

test('the tool built from version 1 first: a version 2 tool node still sends Ray 3.2 with HDR and EXR', async () => {
	const oneProcess = nodeTypesCachingToolsByName();
	expect(await toolCall(oneProcess, 1, V1_PARAMETERS)).toEqual([['luma', V1_BODY]]);
	expect(await toolCall(oneProcess, 2, V2_PARAMETERS)).toEqual([['unified', V2_BODY]]);
});

test('the tool built from version 1 first: a version 2 tool node can Edit Video', async () => {
	const oneProcess = nodeTypesCachingToolsByName();
	await toolCall(oneProcess, 1, V1_PARAMETERS);
	expect(await toolCall(oneProcess, 2, { mode: 'editVideo', prompt: PROMPT, videoUrl: 'https://cdn.example.com/source.mp4' })).toEqual([
		['unified', '{"model":"luma/ray-3.2","prompt":"A red fox in fresh snow","type":"video_edit","aspect_ratio":"16:9","video_url":"https://cdn.example.com/source.mp4"}'],
	]);
});
