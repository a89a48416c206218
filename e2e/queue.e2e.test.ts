/**
 * Queue mode: PostgreSQL and Redis, an n8n main and one worker, each with this package installed
 * in its own user folder. A webhook starts the scheduled-batch example with three prompts; the
 * batch must run on the worker, bring every video back intact as n8n binary data (2.x: database
 * mode, queue mode's default; 1.x: its default mode, the bytes inside the execution data) and
 * create each generation once.
 */
import { createHash, randomUUID } from 'node:crypto';

import { LumaEmulator } from '../test/emulator/emulator';
import { activate, executionReaching, itemsOut, postWebhook } from './lib/durable';
import type { Workflow } from './lib/examples';
import { loadExample, writeCredentialFile, writeWorkflowFile } from './lib/examples';
import type { QueuePorts } from './lib/queue';
import { queueHome, startPostgres, startRedis, startWorker } from './lib/queue';
import type { BinaryInfo, N8nHome, N8nRest, RunningN8n } from './lib/runtime';
import { importFile, N8N_LINE, n8nVersion, prepareHome, startLoggedIn } from './lib/runtime';

const KEY = 'e2e-key-queue-8c2a';
const PORTS: QueuePorts = { postgres: 5760, redis: 5761, workerHealth: 5744 };
// Each n8n process also takes the next port for its task runners' broker.
const MAIN_PORT = 5740;
const WORKER_PORT = 5742;
const VIDEO_BYTES = 4 * 1024 * 1024;
const PROMPTS = ['A lighthouse in a storm [large]', 'A fox in fresh snow [large]', 'Rain on a tin roof, close-up [large]'];
const WEBHOOK_PATH = 'luma-queue-batch';

/** Everything the set-up started, stopped in reverse order by afterAll, also after a failure. */
const running: Array<{ stop: () => Promise<void> }> = [];
let emulator: LumaEmulator;
let mainHome: N8nHome;
let main: RunningN8n;
let worker: RunningN8n;
let rest: N8nRest;
let workflow: Workflow;

/** The scheduled-batch example, started by a webhook whose body carries the prompts. */
function batchOnWebhook(): Workflow {
	const batch = loadExample('scheduled-batch.json');
	const trigger = batch.nodes.find((node) => node.type === 'n8n-nodes-base.scheduleTrigger');
	const prompts = batch.nodes.find((node) => node.type === 'n8n-nodes-base.code');
	if (!trigger || !prompts) throw new Error('scheduled-batch.json no longer has a schedule trigger and a Code node for its prompts');
	Object.assign(trigger, {
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		webhookId: randomUUID(),
		parameters: { httpMethod: 'POST', path: WEBHOOK_PATH, options: {} },
	});
	prompts.parameters = { jsCode: 'return $json.body.prompts.map((prompt) => ({ json: { prompt } }));' };
	return { ...batch, id: 'LumaQueueBatch01', name: 'Luma batch on the queue', pinData: {} };
}

beforeAll(async () => {
	emulator = await new LumaEmulator({ keys: [KEY], holdMs: 2_000, queuedMs: 1_000, dreamingMs: 2_000, largeVideoBytes: VIDEO_BYTES }).start();
	running.push(emulator);
	running.push(await startPostgres(PORTS.postgres));
	running.push(await startRedis(PORTS.redis));

	mainHome = queueHome(await prepareHome('queue-main', process.env.E2E_TARBALL!, MAIN_PORT), PORTS, 'main');
	const workerHome = queueHome(await prepareHome('queue-worker', process.env.E2E_TARBALL!, WORKER_PORT), PORTS, 'worker');
	workflow = batchOnWebhook();
	await importFile(mainHome, 'credentials', writeCredentialFile(KEY, emulator.baseUrl));
	await importFile(mainHome, 'workflow', writeWorkflowFile('queue-batch', [workflow]));

	({ n8n: main, rest } = await startLoggedIn(mainHome, 2_000_000));
	running.push(main);
	await activate(rest, workflow.id);
	worker = await startWorker(workerHome, PORTS);
	running.push(worker);
});

afterAll(async () => {
	for (const service of running.reverse()) {
		await service.stop().catch((error: unknown) => console.error(error));
	}
});

/** The bytes a user downloads from the execution in the editor. */
async function downloaded(binary: BinaryInfo): Promise<Buffer> {
	const res = await rest.send('GET', `/binary-data?id=${encodeURIComponent(String(binary.id))}&action=download`);
	if (!res.ok) throw new Error(`download of ${String(binary.id)} → ${res.status}`);
	return Buffer.from(await res.arrayBuffer());
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

test(`n8n ${n8nVersion()} in queue mode: a webhook batch runs on the worker, every video intact, one create per prompt`, async () => {
	await postWebhook(mainHome, WEBHOOK_PATH, { prompts: PROMPTS });
	const execution = await executionReaching(rest, workflow.id, ['success', 'error', 'crashed', 'canceled'], 180_000);
	expect(execution.status).toBe('success');
	expect(main.output()).toContain(`Enqueued execution ${execution.id}`);
	expect(worker.output()).toContain(`Worker started execution ${execution.id}`);
	expect(worker.output()).toContain(`Worker finished execution ${execution.id}`);

	const finished = itemsOut(execution, 'Luma Wait', 0) as Array<{ json: Record<string, unknown>; binary?: Record<string, BinaryInfo> }>;
	expect(finished.map((item) => item.json.prompt).sort()).toEqual([...PROMPTS].sort());
	for (const { json, binary } of finished) {
		const video = binary?.video;
		expect(video).toEqual(expect.objectContaining({ mimeType: 'video/mp4', fileName: `${String(json.id)}.mp4` }));
		const served = Buffer.from(await (await fetch(String(json.videoUrl))).arrayBuffer());
		let stored: Buffer;
		if (N8N_LINE === '2x') {
			expect(String(video?.id)).toMatch(/^database:/);
			stored = await downloaded(video!);
		} else {
			// n8n 1.x has no database mode: its default keeps the bytes in the execution data.
			expect(video?.id).toBeUndefined();
			stored = Buffer.from(String(video?.data), 'base64');
		}
		expect(stored.length).toBe(VIDEO_BYTES);
		expect(sha256(stored)).toBe(sha256(served));
	}
	expect(emulator.acceptedCreates).toBe(PROMPTS.length);
	expect([...emulator.createsByPrompt.values()]).toEqual(PROMPTS.map(() => 1));
});
