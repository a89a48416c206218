/**
 * Every example workflow, run headless by real n8n (`n8n execute`) with this package installed
 * as a community package, against the emulator: what a user would see in each branch. Runs on
 * the line E2E_N8N_LINE picks (2.x by default; CI runs it on 1.x too).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { LumaEmulator, SAMPLE_MP4 } from '../test/emulator/emulator';
import { exampleFiles, loadExample, manualTwin, nodeOutputs, writeCredentialFile, writeWorkflowFile } from './lib/examples';
import type { BinaryInfo, N8nHome } from './lib/runtime';
import { executeWorkflow, importFile, N8N_LINE, prepareHome } from './lib/runtime';

const KEY = 'e2e-key-3b9f1c7d5a';
let emulator: LumaEmulator;
let home: N8nHome;

beforeAll(async () => {
	emulator = await new LumaEmulator({ keys: [KEY], holdMs: 2_000, queuedMs: 1_000, dreamingMs: 2_000 }).start();
	home = await prepareHome('e2e-headless', process.env.E2E_TARBALL!, 5730);
	await importFile(home, 'credentials', writeCredentialFile(KEY, emulator.baseUrl));
	await importFile(home, 'workflow', writeWorkflowFile('e2e-twins', exampleFiles().map((file) => manualTwin(loadExample(file)))));
});

afterAll(async () => {
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
