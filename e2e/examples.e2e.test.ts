/**
 * Every example workflow, run headless by real n8n (`n8n execute`) with this package installed
 * as a community package, against the emulator: what a user would see in each branch. Runs on
 * the line E2E_N8N_LINE picks (2.x by default; CI runs it on 1.x too).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { LumaEmulator, SAMPLE_MP4 } from '../test/emulator/emulator';
import type { Workflow } from './lib/examples';
import { exampleFiles, loadExample, manualTwin, nodeOutputs, writeCredentialFile, writeWorkflowFile } from './lib/examples';
import { FakeModel } from './lib/fake-model';
import type { BinaryInfo, N8nHome } from './lib/runtime';
import { executeWorkflow, importFile, N8N_LINE, prepareHome } from './lib/runtime';

const KEY = 'e2e-key-3b9f1c7d5a';
let emulator: LumaEmulator;
let model: FakeModel;
let home: N8nHome;

/** The agent example has no pinned chat message (it would shadow a user's chat): the test gives one. */
function withChatMessage(example: Workflow): Workflow {
	const chat = [{ json: { sessionId: 'e2e-examples', action: 'sendMessage', chatInput: 'Make a short video of a calm lake at dawn' } }];
	return example.id === 'LumaAgentVideo01' ? { ...example, pinData: { 'Chat message': chat } } : example;
}

beforeAll(async () => {
	emulator = await new LumaEmulator({ keys: [KEY], holdMs: 2_000, queuedMs: 1_000, dreamingMs: 2_000 }).start();
	model = await new FakeModel().start();
	home = await prepareHome('e2e-headless', process.env.E2E_TARBALL!, 5730);
	await importFile(home, 'credentials', writeCredentialFile(KEY, emulator.baseUrl, [model.credential()]));
	const twins = exampleFiles().map((file) => manualTwin(withChatMessage(loadExample(file))));
	expect(twins.map((twin) => twin.id)).toEqual(expect.arrayContaining(['LumaAgentVideo0T', 'LumaDurableWaitT']));
	await importFile(home, 'workflow', writeWorkflowFile('e2e-twins', twins));
});

afterAll(async () => {
	await model?.stop();
	await emulator?.stop();
});

beforeEach(() => emulator.resetCounters());

/** The bytes n8n stored for a binary item (filesystem mode: .n8n/storage in 2.x, .n8n/binaryData in 1.x). */
function storedBytes(binary: BinaryInfo | undefined): Buffer {
	const relative = String(binary?.id ?? '').replace(/^filesystem-v2:/, '');
	const stored = ['storage', 'binaryData'].map((dir) => path.join(home.folder, '.n8n', dir, relative)).find((file) => existsSync(file));
	if (!stored) throw new Error(`n8n stored no file for binary ${String(binary?.id)}`);
	return readFileSync(stored);
}

/** What a user sees of a downloaded video: an MP4 named after the generation, byte for byte the server's. */
function expectVideo(binary: BinaryInfo | undefined, id: unknown): void {
	expect(binary).toEqual(expect.objectContaining({ mimeType: 'video/mp4', fileName: `${String(id)}.mp4` }));
	// n8n 1.x records only a size text ("5.32 kB"); 2.x also the byte count.
	if (N8N_LINE === '2x') expect(binary?.bytes).toBe(SAMPLE_MP4.length);
	expect(storedBytes(binary).equals(SAMPLE_MP4)).toBe(true);
}

test('showcase: one prompt completes with its video, one fails with its reason, one times out', async () => {
	const run = await executeWorkflow(home, 'LumaShowcase000T');
	const routed = nodeOutputs(run, 'Luma Wait');
	expect(routed.map((item) => [item.json.prompt, item.output])).toEqual([
		['A jellyfish drifting through a neon-lit ocean', 'Completed'],
		['A scene the moderation refuses [fail]', 'Failed'],
		['A glacier carving a valley, very slowly [slow]', 'Timed Out'],
	]);
	const [done, failed, slow] = routed;
	expectVideo(done.binary?.data, done.json.id);
	expect(failed.json.failureReason).toBe('Contains blacklisted words');
	expect(slow.json).toEqual(expect.objectContaining({ state: 'queued', timedOut: true }));
	// Each branch's node got exactly its items.
	expect(nodeOutputs(run, 'Finished videos').map((item) => item.json.id)).toEqual([done.json.id]);
	expect(nodeOutputs(run, 'Failed generations').map((item) => item.json.id)).toEqual([failed.json.id]);
	expect(nodeOutputs(run, 'Still running').map((item) => item.json.id)).toEqual([slow.json.id]);
	expect(emulator.acceptedCreates).toBe(3);
	expect(emulator.log.every((entry) => entry.endpoint === 'asset' || entry.authorization === `Bearer ${KEY}`)).toBe(true);
});

test('form example (twin with its pinned submission): the video reaches "Show the video"', async () => {
	const run = await executeWorkflow(home, 'LumaFormVideo00T');
	const [item] = nodeOutputs(run, 'Show the video');
	expect(item.json).toEqual(expect.objectContaining({ Prompt: 'A paper boat sailing down a rainy street', state: 'completed' }));
	expectVideo(item.binary?.data, item.json.id);
	expect(emulator.log.find((entry) => entry.endpoint === 'create')?.body).toEqual({
		prompt: 'A paper boat sailing down a rainy street',
		aspect_ratio: '9:16',
		model: 'ray-2',
		loop: false,
	});
});

test('scheduled batch (twin): one item per finished video, each with its MP4 in "video"', async () => {
	const run = await executeWorkflow(home, 'LumaBatchDaily0T');
	const finished = nodeOutputs(run, 'One item per finished video');
	expect(finished).toHaveLength(4);
	for (const item of finished) {
		expectVideo(item.binary?.video, item.json.id);
	}
	expect(emulator.acceptedCreates).toBe(4);
	// The four ids are waited for together: the first wait request is one fetch-many of all four.
	const firstFetch = emulator.log.find((entry) => entry.endpoint === 'fetchMany' || entry.endpoint === 'fetchOne');
	expect(firstFetch?.endpoint).toBe('fetchMany');
	expect(new URL(firstFetch!.url, emulator.baseUrl).searchParams.getAll('generation_ids[]')).toHaveLength(4);
});

test('longer video: generate, wait, extend that generation, wait', async () => {
	const run = await executeWorkflow(home, 'LumaLongVideo00T');
	const [first] = nodeOutputs(run, 'Wait for the first part');
	const [longer] = nodeOutputs(run, 'The longer video');
	expect(first.output).toBe('Completed');
	expect(longer.json.state).toBe('completed');
	expectVideo(longer.binary?.data, longer.json.id);
	const creates = emulator.log.filter((entry) => entry.endpoint === 'create').map((entry) => entry.body as Record<string, unknown>);
	expect(creates).toHaveLength(2);
	expect(creates[1].keyframes).toEqual({ frame0: { type: 'generation', id: first.json.id } });
	expect(longer.json.id).not.toBe(first.json.id);
});

test('durable wait (twin): videos that finish within Luma Wait\'s window reach "Finished videos" without parking', async () => {
	const run = await executeWorkflow(home, 'LumaDurableWaitT');
	const finished = nodeOutputs(run, 'Finished videos');
	expect(finished.map((item) => [item.json.prompt, item.json.state])).toEqual([
		['A lighthouse in a storm, waves crashing, night', 'completed'],
		['A paper lantern rising over a quiet lake', 'completed'],
	]);
	expect(finished.every((item) => typeof item.json.giveUpAt === 'string')).toBe(true);
	expect(emulator.acceptedCreates).toBe(2);
	const ran = Object.keys(run.data.resultData.runData);
	expect(ran).not.toContain('Park 2 minutes');
	expect(ran).not.toContain('Gave up (ids kept)');
});

test('AI agent (twin, scripted model): Luma Generate, then Luma Wait with its id; the model reads the video URL', async () => {
	model.play([
		{ toolCalls: [{ id: 'gen', name: 'Luma_Generate', args: { prompt: 'A calm lake at dawn, mist rising' } }] },
		() => {
			const [created] = model.toolAnswer('gen') as Array<{ id: string }>;
			return { toolCalls: [{ id: 'wait', name: 'Luma_Wait', args: { generationId: created.id } }] };
		},
		{ text: 'Here is your lake video.' },
	]);
	const run = await executeWorkflow(home, 'LumaAgentVideo0T');
	expect(run.data.resultData.error).toBeUndefined();
	expect(run.data.resultData.runData['AI Agent'].at(-1)?.data?.main[0]?.[0]?.json.output).toBe('Here is your lake video.');
	const [created] = model.toolAnswer('gen') as Array<Record<string, unknown>>;
	expect(created).toEqual(expect.objectContaining({ id: expect.any(String), tokenCost: 500000 }));
	expect(model.toolAnswer('wait')).toEqual([expect.objectContaining({ id: created.id, state: 'completed', videoUrl: `${emulator.baseUrl}/assets/${String(created.id)}.mp4` })]);
	expect(emulator.acceptedCreates).toBe(1);
	expect(JSON.stringify(model.requests)).not.toContain(KEY);
});
