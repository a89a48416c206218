/**
 * Every example workflow, run by real n8n (`n8n start`, one server for the whole file) with this
 * package installed as a community package, against the emulator: what a user would see in each
 * branch. Each example runs as its webhook twin (e2e/lib/webhook-runs.ts: the example as committed,
 * its trigger replaced by a Code node giving the trigger's pinned sample, started by a production
 * webhook), and its saved execution is read back. Runs on the line E2E_N8N_LINE picks (2.x by
 * default; CI runs it on 1.x too).
 *
 * The examples run on three gateways, each its own emulator at its own Base URL, with the
 * credential's API at its default (Automatic): one serving both APIs, one serving only the unified
 * video API, one serving only the Luma endpoint. Each example gives its results on each, one
 * create per prompt, on the right API; n8n finds out what a gateway serves with its first run
 * there (one free probe read per API) and keeps it for the next runs, as a long-running n8n does.
 * The gateway serving only the Luma endpoint runs a subset (see RUNS): the nodes choose the Luma
 * endpoint on a gateway serving both too, so there it would repeat the 'both' runs request for
 * request but for one probe answer; the subset covers what only that gateway shows (the fetch-many
 * wait, an extend by id, the agent's tools, the byte-identical body).
 * On n8n 1.x only the gateway serving both APIs runs: which API the nodes choose, and how they
 * wait there, is the package's own code, the same on both lines (2.x proves it on each gateway);
 * what the line changes (its request helpers, n8n's runs, binary data) every example shows on
 * that gateway already.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import type { ApiFlavour, ApiName, LoggedRequest } from '../test/emulator/emulator';
import { LumaEmulator, PROBE_ID, SAMPLE_MP4 } from '../test/emulator/emulator';
import { activate } from './lib/durable';
import type { Workflow } from './lib/examples';
import { CREDENTIAL_ID, CREDENTIAL_NAME, exampleFiles, loadExample, nodeOutputs, writeCredentialFile, writeWorkflowFile } from './lib/examples';
import { FakeModel, playAgentVideo } from './lib/fake-model';
import type { BinaryInfo, ExecutedRun, N8nHome, N8nRest, RunningN8n } from './lib/runtime';
import { importFile, N8N_LINE, prepareHome, startLoggedIn } from './lib/runtime';
import { executionAfter, newestExecutionId, readRun, runTwin, webhookTwin } from './lib/webhook-runs';

const KEY = 'e2e-key-3b9f1c7d5a';
/** The gateway the tests of the current block run against. */
let emulator: LumaEmulator;
const gateways = new Map<ApiFlavour, LumaEmulator>();
/** The gateways n8n has already run an example on (it found out what they serve then). */
const learnt = new Set<ApiFlavour>();
let model: FakeModel;
let home: N8nHome;
let n8n: RunningN8n | undefined;
let rest: N8nRest;
const twins = new Map<string, Workflow>();

type Example = 'showcase' | 'form' | 'batch' | 'longer' | 'durable' | 'agent' | 'loop';
const ALL: readonly Example[] = ['showcase', 'form', 'batch', 'longer', 'durable', 'agent', 'loop'];
/** Which examples run on which gateway (the APIs it serves). */
const RUNS: Record<ApiFlavour, readonly Example[]> = {
	both: ALL,
	unified: ALL,
	luma: ['form', 'batch', 'longer', 'agent'],
};

/**
 * The agent example has no pinned chat message (it would shadow a user's chat): its twin gets one,
 * in a chat session of its own per execution, as each new chat in the hosted chat page is (the
 * agent's Simple Memory keeps a session's turns, tool calls included, for the life of n8n).
 */
function withChatMessage(twin: Workflow): Workflow {
	if (twin.id !== 'LumaAgentVideo0W') return twin;
	const jsCode = "return [{ json: { sessionId: `e2e-examples-${$execution.id}`, action: 'sendMessage', chatInput: 'Make a short video of a calm lake at dawn' } }];";
	return { ...twin, nodes: twin.nodes.map((node) => (node.name === 'Chat message' ? { ...node, parameters: { jsCode } } : node)) };
}

const TIMELINE = { keys: [KEY], holdMs: 2_000, queuedMs: 1_000, dreamingMs: 2_000 };

beforeAll(async () => {
	for (const apis of FLAVOURS) {
		const gateway = await new LumaEmulator(TIMELINE).start();
		gateway.configure({ apis });
		gateways.set(apis, gateway);
	}
	emulator = gateways.get(FLAVOURS[0])!;
	model = await new FakeModel().start();
	home = await prepareHome('e2e-headless', process.env.E2E_TARBALL!, 5730);
	await importFile(home, 'credentials', writeCredentialFile(KEY, emulator.baseUrl, [model.credential()]));
	for (const twin of exampleFiles().map((file) => withChatMessage(webhookTwin(loadExample(file))))) twins.set(twin.id, twin);
	expect([...twins.keys()]).toEqual(expect.arrayContaining(['LumaAgentVideo0W', 'LumaDurableWaitW']));
	await importFile(home, 'workflow', writeWorkflowFile('e2e-twins', [...twins.values()]));
	({ n8n, rest } = await startLoggedIn(home));
	for (const id of twins.keys()) await activate(rest, id);
});

afterAll(async () => {
	await n8n?.stop();
	await model?.stop();
	for (const gateway of gateways.values()) await gateway.stop();
});

/** Points the examples' credential at a gateway (its key unchanged), as a user editing its Base URL. */
async function useGateway(apis: ApiFlavour): Promise<void> {
	emulator = gateways.get(apis)!;
	await rest.request('PATCH', `/credentials/${CREDENTIAL_ID}`, { name: CREDENTIAL_NAME, type: 'apilaplasApi', data: { apiKey: KEY, baseUrl: emulator.baseUrl } });
}

/** Runs an example's webhook twin (by its id) once, to its end; its saved run. */
async function runExample(id: string): Promise<ExecutedRun> {
	const twin = twins.get(id);
	if (!twin) throw new Error(`no example twin ${id}`);
	const since = await newestExecutionId(rest);
	await runTwin(home, twin);
	const ended = await executionAfter(rest, id, since);
	return await readRun(rest, ended.id);
}

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

/** The API the examples' creates (Ray 2, node version 1) go to on a gateway: the Luma endpoint wherever it is served. */
function createApi(apis: ApiFlavour): ApiName {
	return apis === 'unified' ? 'unified' : 'luma';
}

const isProbe = (entry: LoggedRequest) => entry.method === 'GET' && entry.url.includes(PROBE_ID);

/**
 * What the gateway saw of one run: each prompt created once (billed once), every create sent to
 * `api` and accepted there (none tried on a route the gateway lacks), every wait asked on `api`,
 * the gateway's APIs found out with n8n's first run on it (one free probe read each) and not
 * again, and the key on every request.
 */
function expectGatewaySaw(apis: ApiFlavour, prompts: number): void {
	const api = createApi(apis);
	expect([...emulator.createsByPrompt.values()]).toEqual(Array<number>(prompts).fill(1));
	expect(emulator.acceptedCreates).toBe(prompts);
	const posts = emulator.log.filter((entry) => entry.method === 'POST');
	expect(posts.map((entry) => [entry.endpoint, entry.api, entry.status])).toEqual(Array(prompts).fill(['create', api, 201]));
	const fetches = emulator.log.filter((entry) => entry.endpoint === 'fetchOne' || entry.endpoint === 'fetchMany');
	expect(fetches.length).toBeGreaterThan(0);
	expect(fetches.every((entry) => entry.api === api)).toBe(true);
	// The only requests to a route this gateway lacks are the probe reads, one per API.
	expect(emulator.log.filter((entry) => entry.endpoint === 'other').every(isProbe)).toBe(true);
	const probes = emulator.log.filter(isProbe).map((entry) => entry.url.split('?')[0]).sort();
	expect(probes).toEqual(learnt.has(apis) ? [] : ['/v2/generate/video/luma-ai/generation', '/v2/video/generations']);
	learnt.add(apis);
	expect(emulator.log.every((entry) => entry.endpoint === 'asset' || entry.authorization === `Bearer ${KEY}`)).toBe(true);
}

/** The create bodies the gateway accepted, in order. */
function createBodies(): Array<Record<string, unknown>> {
	return emulator.log.filter((entry) => entry.endpoint === 'create').map((entry) => entry.body as Record<string, unknown>);
}

const TESTS: Record<Example, [string, (apis: ApiFlavour) => Promise<void>]> = {
	showcase: [
		'showcase: one prompt completes with its video, one fails with its reason, one times out',
		async (apis) => {
			const run = await runExample('LumaShowcase000W');
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
			expectGatewaySaw(apis, 3);
		},
	],
	form: [
		'form example (twin with its pinned submission): the video reaches "Show the video"',
		async (apis) => {
			const run = await runExample('LumaFormVideo00W');
			const [item] = nodeOutputs(run, 'Show the video');
			expect(item.json).toEqual(expect.objectContaining({ Prompt: 'A paper boat sailing down a rainy street', state: 'completed', api: createApi(apis) }));
			expectVideo(item.binary?.data, item.json.id);
			const seedBody = { prompt: 'A paper boat sailing down a rainy street', aspect_ratio: '9:16', model: 'ray-2', loop: false };
			const [body] = createBodies();
			if (apis === 'unified') {
				expect(body).toEqual({ ...seedBody, model: 'luma/ray-2' });
			} else {
				// The Luma endpoint gets the bytes the node always sent.
				expect(JSON.stringify(body)).toBe(JSON.stringify(seedBody));
			}
			expectGatewaySaw(apis, 1);
		},
	],
	batch: [
		'scheduled batch (twin): one item per finished video, each with its MP4 in "video"',
		async (apis) => {
			const run = await runExample('LumaBatchDaily0W');
			const finished = nodeOutputs(run, 'One item per finished video');
			expect(finished).toHaveLength(4);
			for (const item of finished) {
				expectVideo(item.binary?.video, item.json.id);
			}
			expectGatewaySaw(apis, 4);
			const ids = finished.map((item) => String(item.json.id));
			if (apis === 'unified') {
				// No fetch-many there: each id is asked about on its own, at a steady pace, not in a tight
				// loop (each video takes 3 s and Luma Wait asks every 10 s: at most twice each).
				expect(emulator.count('fetchMany')).toBe(0);
				const asked = emulator.log.filter((entry) => entry.endpoint === 'fetchOne').map((entry) => new URL(entry.url, emulator.baseUrl).searchParams.get('generation_id'));
				for (const id of ids) {
					const times = asked.filter((candidate) => candidate === id).length;
					expect(times).toBeGreaterThanOrEqual(1);
					expect(times).toBeLessThanOrEqual(2);
				}
			} else {
				// The four ids are waited for together: the first wait request is one fetch-many of all four.
				const firstFetch = emulator.log.find((entry) => entry.endpoint === 'fetchMany' || entry.endpoint === 'fetchOne');
				expect(firstFetch?.endpoint).toBe('fetchMany');
				expect(new URL(firstFetch!.url, emulator.baseUrl).searchParams.getAll('generation_ids[]').sort()).toEqual([...ids].sort());
			}
		},
	],
	longer: [
		'longer video: generate, wait, extend that generation, wait',
		async (apis) => {
			const run = await runExample('LumaLongVideo00W');
			const [first] = nodeOutputs(run, 'Wait for the first part');
			const [longer] = nodeOutputs(run, 'The longer video');
			expect(first.output).toBe('Completed');
			expect(longer.json.state).toBe('completed');
			expectVideo(longer.binary?.data, longer.json.id);
			const creates = createBodies();
			expect(creates).toHaveLength(2);
			expect(creates[1].keyframes).toEqual({ frame0: { type: 'generation', id: first.json.id } });
			expect(creates.map((body) => body.model)).toEqual(Array(2).fill(apis === 'unified' ? 'luma/ray-2' : 'ray-2'));
			expect(longer.json.id).not.toBe(first.json.id);
			expectGatewaySaw(apis, 2);
		},
	],
	durable: [
		'durable wait (twin): videos that finish within Luma Wait\'s window reach "Finished videos" without parking',
		async (apis) => {
			const run = await runExample('LumaDurableWaitW');
			const finished = nodeOutputs(run, 'Finished videos');
			expect(finished.map((item) => [item.json.prompt, item.json.state])).toEqual([
				['A lighthouse in a storm, waves crashing, night', 'completed'],
				['A paper lantern rising over a quiet lake', 'completed'],
			]);
			expect(finished.every((item) => typeof item.json.giveUpAt === 'string')).toBe(true);
			const ran = Object.keys(run.data.resultData.runData);
			expect(ran).not.toContain('Park 2 minutes');
			expect(ran).not.toContain('Gave up (ids kept)');
			expectGatewaySaw(apis, 2);
		},
	],
	agent: [
		'AI agent (twin, scripted model): Luma Generate, then Luma Wait with its id; the model reads the video URL',
		async (apis) => {
			playAgentVideo(model);
			const run = await runExample('LumaAgentVideo0W');
			expect(run.data.resultData.error).toBeUndefined();
			expect(run.data.resultData.runData['AI Agent'].at(-1)?.data?.main[0]?.[0]?.json.output).toBe('Here is your lake video.');
			const [created] = model.toolAnswer('gen') as Array<Record<string, unknown>>;
			// Neither API reports a cost at create time here: the list price.
			expect(created).toEqual(expect.objectContaining({ id: expect.any(String), tokenCost: 500000 }));
			expect(model.toolAnswer('wait')).toEqual([expect.objectContaining({ id: created.id, state: 'completed', videoUrl: `${emulator.baseUrl}/assets/${String(created.id)}.mp4` })]);
			expect(JSON.stringify(model.requests)).not.toContain(KEY);
			expectGatewaySaw(apis, 1);
		},
	],
	loop: [
		'Loop Over Items: one prompt at a time through Luma Generate and Luma Wait (Single Output), back to the loop; Done gets all three',
		async (apis) => {
			const run = await runExample('LumaLoopItems00W');
			expect(run.data.resultData.error).toBeUndefined();
			expect(run.data.resultData.runData['Luma Generate']).toHaveLength(3);
			const rows = nodeOutputs(run, 'One row per prompt').map((item) => item.json);
			expect(rows.map((row) => [row.prompt, row.status])).toEqual([
				['A red fox trotting through fresh snow, morning light', 'completed'],
				['Paper lanterns drifting over a river at night', 'completed'],
				['A sailboat leaning into the wind, aerial shot', 'completed'],
			]);
			expect(rows.map((row) => row.result)).toEqual(rows.map((row) => `${emulator.baseUrl}/assets/${String(row.id)}.mp4`));
			expect(new Set(rows.map((row) => row.id)).size).toBe(3);
			expectGatewaySaw(apis, 3);
		},
	],
};

const GATEWAYS: Record<ApiFlavour, string> = {
	both: 'a gateway serving both APIs',
	unified: 'a gateway serving only the unified video API',
	luma: 'a gateway serving only the Luma endpoint',
};

const FLAVOURS: readonly ApiFlavour[] = N8N_LINE === '2x' ? ['both', 'unified', 'luma'] : ['both'];

describe.each(FLAVOURS)('on %s', (apis) => {
	beforeAll(() => useGateway(apis));

	describe(`${GATEWAYS[apis]}, the credential's API at Automatic`, () => {
		for (const example of RUNS[apis]) {
			const [name, body] = TESTS[example];
			test(name, () => body(apis));
		}
	});
});
