/**
 * The upgrade path, on the line E2E_N8N_LINE picks (2.x by default, and 1.x): the previous release
 * (e2e/lib/baseline.ts) installed from a private registry the README's way, its own example
 * workflows saved in n8n and run, two executions parked in n8n's database; then the new version
 * published and installed over it with the README's upgrade command, n8n restarted on the same
 * user folder. After the upgrade every saved workflow loads as the editor loads it, runs again with
 * the same results and the same create requests byte for byte, and the parked executions resume
 * and finish. The emulator serves both of the gateway's APIs (the Luma endpoint, which the
 * baseline knows, and the unified one).
 */
import { writeFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';

import type { LoggedRequest } from '../test/emulator/emulator';
import { LumaEmulator } from '../test/emulator/emulator';
import type { Baseline } from './lib/baseline';
import { BASELINE, baselineExamples, buildBaseline } from './lib/baseline';
import type { Execution } from './lib/durable';
import { activate, itemsOut, postWebhook, readExecution, variant } from './lib/durable';
import type { Workflow, WorkflowNode } from './lib/examples';
import { writeCredentialFile, writeWorkflowFile } from './lib/examples';
import { FakeModel, playAgentVideo } from './lib/fake-model';
import type { TypeFiles } from './lib/installed';
import { parameterIssues, resolvedParameters, resolveNode, typeFiles } from './lib/installed';
import { emptyHome, installedInNodesFolder, LocalRegistry, PACKAGE_NAME, README_INSTALL, README_UPGRADE } from './lib/registry';
import type { N8nHome, N8nRest, RunningN8n } from './lib/runtime';
import { importFile, n8nVersion, startLoggedIn, STATE_DIR, step, waitUntil } from './lib/runtime';
import type { RunSummary } from './lib/webhook-runs';
import { executionAfter, newestExecutionId, runTwin, summarize, webhookTwin } from './lib/webhook-runs';

const KEY = 'e2e-upgrade-key-90ab';
const PARK_SECONDS = 66; // n8n parks a Wait of 65 s or more
/** On the emulator, [slow] keeps a generation running until the test finishes it. */
const PARKED_PROMPTS = [['Parked: a harbour at night [slow]', 'Parked: a windmill in fog [slow]'], ['Parked: a lone cyclist at dawn [slow]']];
const ours = (type: string) => type.startsWith(`${PACKAGE_NAME}.`);

let baseline: Baseline;
let emulator: LumaEmulator;
let model: FakeModel;
let registry: LocalRegistry;
let home: N8nHome;
let n8n: RunningN8n | undefined;
let rest: N8nRest;
let saved: Workflow[];
let twins: Workflow[];
let parkedWorkflow: Workflow;

interface Phase {
	/** Installed version, from the nodes folder. */
	version: string | undefined;
	types: TypeFiles;
	results: Record<string, RunSummary>;
	/** Every create request the twins sent, as raw text with generation ids named by prompt, sorted. */
	creates: string[];
}
let before: Phase;
let after: Phase;
const parkedIds: string[] = [];
let versionAfterNpmUpdate: string | undefined;

/** The raw text of each request's body as it arrived (the emulator's log keeps creates parsed). */
const rawBodies = new WeakMap<LoggedRequest, string>();
function recordRawBodies(target: LumaEmulator): void {
	const reader = target as unknown as { readBody: (req: http.IncomingMessage) => Promise<string> };
	const readBody = reader.readBody.bind(target);
	reader.readBody = async (req) => {
		const entry = target.log[target.log.length - 1]; // logged just before the body is read
		const raw = await readBody(req);
		rawBodies.set(entry, raw);
		return raw;
	};
}

/** Replaces every generation id in a text by the prompt it was created for: ids differ from run to run, prompts do not. */
function nameIds(text: string): string {
	let named = text;
	for (const [id, generation] of emulator.generations) named = named.split(id).join(`<generation of ${generation.request.prompt.replace(/["\\]/g, '')}>`);
	return named;
}

/** Run-to-run noise masked: generation ids (by prompt), times. */
function mask(value: unknown): unknown {
	return JSON.parse(nameIds(JSON.stringify(value)).replace(/"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"/g, '"<time>"'));
}

/** The agent example has no pinned chat message (it would shadow a user's chat): its twin gets one. */
function withChatMessage(example: Workflow): Workflow {
	const chat = [{ json: { sessionId: 'e2e-upgrade', action: 'sendMessage', chatInput: 'Make a short video of a calm lake at dawn' } }];
	return example.nodes.some((node) => node.type === '@n8n/n8n-nodes-langchain.chatTrigger') ? { ...example, pinData: { 'Chat message': chat } } : example;
}


/** Runs every twin at once through its webhook and sums up each run and the creates they sent. */
async function runEveryTwin(): Promise<Pick<Phase, 'results' | 'creates'>> {
	playAgentVideo(model);
	const logFrom = emulator.log.length;
	const since = await newestExecutionId(rest);
	step(`running the ${twins.length} example twins…`);
	await Promise.all(twins.map((twin) => runTwin(home, twin)));
	const results: Record<string, RunSummary> = {};
	for (const twin of twins) {
		const execution = await executionAfter(rest, twin.id, since);
		const types = Object.fromEntries(twin.nodes.map((node) => [node.name, node.type]));
		results[twin.id] = summarize(execution, types, ours, mask);
	}
	const parked = PARKED_PROMPTS.flat();
	const creates = emulator.log
		.slice(logFrom)
		.filter((entry) => entry.endpoint === 'create' && !parked.includes((entry.body as { prompt?: string }).prompt ?? ''))
		.map((entry) => nameIds(rawBodies.get(entry) ?? '(no body recorded)'))
		.sort();
	return { results, creates };
}

/** Posts to the parked workflow's webhook and waits until that execution is parked (status waiting). */
async function park(prompts: string[]): Promise<string> {
	const since = await newestExecutionId(rest);
	await postWebhook(home, 'upgrade-parked', { prompts });
	const filter = encodeURIComponent(JSON.stringify({ workflowId: parkedWorkflow.id }));
	return await waitUntil(`an execution of ${parkedWorkflow.id} is parked`, async () => {
		const list = (await rest.request('GET', `/executions?filter=${filter}&limit=10`)) as { results: Array<{ id: string; status: string }> };
		return list.results.find((entry) => Number(entry.id) > since && entry.status === 'waiting')?.id;
	}, 90_000);
}

function idsOf(prompts: string[]): string[] {
	return [...emulator.generations.values()].filter((g) => prompts.includes(g.request.prompt)).sort((a, b) => a.createdAt - b.createdAt).map((g) => g.id);
}

beforeAll(async () => {
	baseline = await buildBaseline();
	emulator = await new LumaEmulator({ keys: [KEY], apis: 'both', holdMs: 2_000, queuedMs: 1_000, dreamingMs: 2_000 }).start();
	recordRawBodies(emulator);
	model = await new FakeModel().start();
	registry = await LocalRegistry.start();
	expect(await registry.publish(baseline.tarball)).toBe(baseline.version);

	// The previous release, installed and used.
	home = await emptyHome('e2e-upgrade', 5780);
	await registry.npmInNodesFolder(home, README_INSTALL);
	const examples = baselineExamples(baseline);
	const durable = examples.find((example) => example.file === 'durable-wait.json')!.workflow;
	parkedWorkflow = variant(durable, 'UpgradeParked001', 'upgrade-parked', {
		'Luma Wait': { maxWaitSeconds: 3 },
		'Park 2 minutes': { amount: PARK_SECONDS, unit: 'seconds' },
	});
	twins = examples.map((example) => webhookTwin(withChatMessage(example.workflow)));
	saved = [...examples.map((example) => example.workflow), ...twins, parkedWorkflow];
	await importFile(home, 'credentials', writeCredentialFile(KEY, emulator.baseUrl, [model.credential()]));
	await importFile(home, 'workflow', writeWorkflowFile('e2e-upgrade', saved));
	({ n8n, rest } = await startLoggedIn(home));
	for (const workflow of [...twins, parkedWorkflow]) await activate(rest, workflow.id);
	before = { version: installedInNodesFolder(home).version, types: await typeFiles(home.url), ...(await runEveryTwin()) };
	for (const prompts of PARKED_PROMPTS) parkedIds.push(await park(prompts));
	step(`parked executions ${parkedIds.join(', ')}; stopping n8n for the upgrade`);
	await n8n.stop();
	n8n = undefined;
	// While n8n is down, the parked generations finish: the resumed runs find them completed.
	for (const id of idsOf(PARKED_PROMPTS.flat())) emulator.finish(id);

	// The release: the new version published, installed over the old one the README's way.
	await registry.publish(process.env.E2E_TARBALL!);
	await registry.npmInNodesFolder(home, ['update', '--legacy-peer-deps']);
	versionAfterNpmUpdate = installedInNodesFolder(home).version;
	await registry.npmInNodesFolder(home, README_UPGRADE);
	({ n8n, rest } = await startLoggedIn(home));
	after = { version: installedInNodesFolder(home).version, types: await typeFiles(home.url), ...(await runEveryTwin()) };
	// For a failure's diagnosis: both phases' results and creates, next to the homes.
	writeFileSync(path.join(STATE_DIR, 'upgrade-results.json'), JSON.stringify({ before: { ...before, types: undefined }, after: { ...after, types: undefined } }, null, 2));
}, 20 * 60_000);

afterAll(async () => {
	await n8n?.stop();
	await registry?.stop();
	await model?.stop();
	await emulator?.stop();
});

describe(`upgrading from ${BASELINE.version} (git ${BASELINE.ref.slice(0, 7)}) in n8n ${n8nVersion()}`, () => {
	test('the README\'s upgrade command replaces the previous release; `npm update` alone would not (0.x ranges stop at the minor)', () => {
		expect(before.version).toBe(baseline.version);
		expect(versionAfterNpmUpdate).toBe(baseline.version);
		expect(after.version).not.toBe(baseline.version);
		expect(installedInNodesFolder(home).packages).toEqual([PACKAGE_NAME]);
	});

	test('every saved workflow loads: each node\'s type and version resolve, ours show no parameter issue and keep every setting', async () => {
		const listed = (await rest.request('GET', '/workflows')) as Array<{ id: string }> | { data: Array<{ id: string }> };
		const ids = (Array.isArray(listed) ? listed : listed.data).map((workflow) => workflow.id).sort();
		expect(ids).toEqual(saved.map((workflow) => workflow.id).sort());
		const problems: string[] = [];
		for (const id of ids) {
			const workflow = (await rest.request('GET', `/workflows/${id}`)) as Workflow;
			for (const node of workflow.nodes as WorkflowNode[]) {
				const where = `${workflow.name} → ${node.name} (${node.type} v${node.typeVersion})`;
				const description = resolveNode(after.types, node);
				if (!description) {
					problems.push(`${where}: unknown node`);
					continue;
				}
				if (!ours(node.type)) continue;
				const issues = parameterIssues(description, node);
				if (issues) problems.push(`${where}: parameter issues ${JSON.stringify(issues)}`);
				const old = resolvedParameters(resolveNode(before.types, node)!, node);
				const now = resolvedParameters(description, node);
				for (const [name, value] of Object.entries(old)) {
					if (JSON.stringify(now[name]) !== JSON.stringify(value)) problems.push(`${where}: "${name}" was ${JSON.stringify(value)}, now ${JSON.stringify(now[name])}`);
				}
			}
		}
		// One change on purpose (CHANGELOG, Upgrading): as an agent's tool, Luma Wait's Max Wait
		// default went from 120 s a call to 45 s an execution, so a chat or MCP client gets its answer
		// in time. Every other setting of every saved node is kept.
		const toolWait = 'Luma Wait (n8n-nodes-apilaplas-luma.lumaWaitTool v1): "maxWaitSeconds" was 120, now 45';
		expect([...problems].sort()).toEqual([`Luma: an AI Agent that makes videos → ${toolWait}`, `Luma: an AI Agent that makes videos (webhook twin) → ${toolWait}`].sort());
	});

	test('every example runs again with the same results: same routing, every field it had still there with the same value', () => {
		const added = new Set<string>();
		for (const twin of twins) {
			const [old, now] = [before.results[twin.id], after.results[twin.id]];
			expect({ workflow: twin.name, status: now.status }).toEqual({ workflow: twin.name, status: 'success' });
			expect({ workflow: twin.name, routes: now.routes }).toEqual({ workflow: twin.name, routes: old.routes });
			expect({ workflow: twin.name, items: now.items }).toMatchObject({ workflow: twin.name, items: old.items });
			for (const [node, runs] of Object.entries(now.items)) {
				runs.forEach((run, index) => {
					const oldItem = Object.values(old.items[node][index])[0]?.flat()[0] ?? {};
					const newItem = Object.values(run)[0]?.flat()[0] ?? {};
					for (const key of Object.keys(newItem)) if (!(key in oldItem)) added.add(`${twin.nodes.find((n) => n.name === node)?.type.split('.')[1]}.${key}`);
				});
			}
		}
		step(`fields the new version adds to its outputs: ${[...added].sort().join(', ') || 'none'}`);
	});

	test('Luma Generate version 1 sends the same create requests, byte for byte', () => {
		expect(before.creates.length).toBeGreaterThan(0);
		expect(after.creates).toEqual(before.creates);
	});

	test('executions parked before the upgrade resume after it and finish: every item on Completed, no new create', async () => {
		const ends = ['success', 'error', 'crashed', 'canceled'];
		for (const [index, id] of parkedIds.entries()) {
			const done: Execution = await waitUntil(`parked execution ${id} ends`, async () => {
				const execution = await readExecution(rest, id);
				return ends.includes(execution.status) ? execution : undefined;
			}, (PARK_SECONDS + 120) * 1000);
			const ids = idsOf(PARKED_PROMPTS[index]);
			expect({ id, status: done.status }).toEqual({ id, status: 'success' });
			// Luma Wait ran twice: its window timed out before the park, the run after it found them finished.
			expect(done.runData['Luma Wait']).toHaveLength(2);
			expect(itemsOut(done, 'Luma Wait', 0).map((item) => item.json.id)).toEqual(ids);
			expect(itemsOut(done, 'Finished videos').map((item) => [item.json.id, item.json.state])).toEqual(ids.map((generation) => [generation, 'completed']));
			expect(ids).toHaveLength(PARKED_PROMPTS[index].length);
		}
		// One create per parked prompt, all before the upgrade.
		const parked = PARKED_PROMPTS.flat();
		expect(emulator.count('create', (entry) => parked.includes((entry.body as { prompt?: string }).prompt ?? ''))).toBe(parked.length);
	});
});
