/**
 * The install path users take, end to end on the line E2E_N8N_LINE picks (2.x by default, and
 * 1.x): the packed package published to a private npm registry on 127.0.0.1 (verdaccio, no uplink),
 * then the README's manual install in a fresh n8n's nodes folder, then n8n started: it lists both
 * nodes, their AI Agent tool variants and the credential, and the showcase runs against the emulator.
 * (Settings → Community Nodes → Install takes only the public registry without an enterprise
 * licence, so that path cannot be tested here.)
 */
import { LumaEmulator } from '../test/emulator/emulator';
import { activate, itemsOut } from './lib/durable';
import type { Execution } from './lib/durable';
import { CREDENTIAL_NAME, loadExample, writeCredentialFile, writeWorkflowFile } from './lib/examples';
import type { TypeFiles } from './lib/installed';
import { listedTypes, typeFiles } from './lib/installed';
import { emptyHome, installedInNodesFolder, LocalRegistry, PACKAGE_NAME, README_INSTALL } from './lib/registry';
import type { BinaryInfo, N8nHome, N8nRest, RunningN8n } from './lib/runtime';
import { importFile, n8nVersion, startLoggedIn } from './lib/runtime';
import { executionAfter, newestExecutionId, runTwin, webhookTwin } from './lib/webhook-runs';

const KEY = 'e2e-install-key-51c0';
const showcase = webhookTwin(loadExample('showcase.json'));
let emulator: LumaEmulator;
let registry: LocalRegistry;
let home: N8nHome;
let n8n: RunningN8n | undefined;
let rest: N8nRest;
let published: string;
let types: TypeFiles;

beforeAll(async () => {
	emulator = await new LumaEmulator({ keys: [KEY], holdMs: 2_000, queuedMs: 1_000, dreamingMs: 2_000 }).start();
	registry = await LocalRegistry.start();
	published = await registry.publish(process.env.E2E_TARBALL!);
	home = await emptyHome('e2e-install', 5770);
	await registry.npmInNodesFolder(home, README_INSTALL);
	await importFile(home, 'credentials', writeCredentialFile(KEY, emulator.baseUrl));
	await importFile(home, 'workflow', writeWorkflowFile('e2e-install', [showcase]));
	({ n8n, rest } = await startLoggedIn(home));
	types = await typeFiles(home.url);
});

afterAll(async () => {
	await n8n?.stop();
	await registry?.stop();
	await emulator?.stop();
});

describe(`npm install ${PACKAGE_NAME} in the nodes folder of n8n ${n8nVersion()}`, () => {
	test('installs the published version alone: no dependency, and not the peer n8n-workflow (n8n lends its own)', () => {
		expect(installedInNodesFolder(home)).toEqual({ packages: [PACKAGE_NAME], version: published });
	});

	test('n8n lists both nodes, each with its AI Agent tool variant, at version 1 (what saved workflows use) and more', () => {
		const listed = listedTypes(types, `${PACKAGE_NAME}.`);
		const names = [...new Set(listed.map((entry) => entry.split('@')[0]))];
		expect(names).toEqual(['lumaGenerate', 'lumaGenerateTool', 'lumaWait', 'lumaWaitTool'].map((name) => `${PACKAGE_NAME}.${name}`));
		for (const name of names) expect(listed).toContain(`${name}@1`);
		const generate = types.nodes.find((description) => description.name === `${PACKAGE_NAME}.lumaGenerate`);
		expect(generate).toEqual(expect.objectContaining({ displayName: 'Luma Generate', credentials: [expect.objectContaining({ name: 'apilaplasApi', required: true })] }));
	});

	test('n8n lists the credential', () => {
		expect(types.credentials.filter((credential) => credential.name === 'apilaplasApi')).toEqual([expect.objectContaining({ displayName: CREDENTIAL_NAME })]);
	});

	test('the showcase runs: one prompt completes with its video, one fails with its reason, one times out', async () => {
		await activate(rest, showcase.id);
		const since = await newestExecutionId(rest);
		await runTwin(home, showcase);
		const run: Execution = await executionAfter(rest, showcase.id, since);
		expect(run.status).toBe('success');
		const outputs = ['Completed', 'Failed', 'Timed Out'];
		const routed = outputs.flatMap((output, index) => itemsOut(run, 'Luma Wait', index).map((item) => ({ output, ...item })));
		expect(routed.map((item) => [item.json.prompt, item.output])).toEqual([
			['A jellyfish drifting through a neon-lit ocean', 'Completed'],
			['A scene the moderation refuses [fail]', 'Failed'],
			['A glacier carving a valley, very slowly [slow]', 'Timed Out'],
		]);
		const [done, failed, slow] = routed;
		const video = (done as { binary?: Record<string, BinaryInfo> }).binary?.data;
		expect(video).toEqual(expect.objectContaining({ mimeType: 'video/mp4', fileName: `${String(done.json.id)}.mp4` }));
		expect(failed.json.failureReason).toBe('Contains blacklisted words');
		expect(slow.json).toEqual(expect.objectContaining({ state: 'queued', timedOut: true }));
		expect(itemsOut(run, 'Finished videos').map((item) => item.json.id)).toEqual([done.json.id]);
		expect(itemsOut(run, 'Failed generations').map((item) => item.json.id)).toEqual([failed.json.id]);
		expect(itemsOut(run, 'Still running').map((item) => item.json.id)).toEqual([slow.json.id]);
		expect(emulator.acceptedCreates).toBe(3);
		expect(emulator.count('asset')).toBe(1);
	});
});
