/**
 * Many executions, one account (issue 19), in real n8n: 50 webhook calls at once, each an
 * execution of Webhook (Header Auth) → Luma Generate → Luma Wait that answers its caller with the
 * finished video, against an account that allows 20 creates a minute and 10 generations running.
 * First one n8n (regular mode), then queue mode with two workers, each with its own create queue:
 * only the server's 429s (and their Retry-After) keep the two in step. In queue mode twice: with
 * generations long enough that the running limit binds (as with the API's usual one to three
 * minutes), and short enough that the create rate binds, where each worker's queue sends at the
 * account's full rate and the two together send twice what the account takes.
 *
 * The clock is 10 times fast, as in `npm run bench`: the account's minute is 6 s (20 creates per
 * 6 s window; Luma Generate's Creates per Minute is 200, the same rate, though n8n's minute is a
 * real one: the queue learns the account's 20 per 6 s from the first 429's Retry-After), a generation runs
 * 4.5 s (45 s at real scale, so 10 running, not the rate, is what binds most), the long poll holds
 * 3 s. The limits' counts are the real ones; every ratio (creates per window, generations per
 * running slot) is the real one; n8n's own overhead is not scaled, which only makes the burst
 * harder. Asserted: every caller gets its completed video, every execution succeeds, one create
 * per prompt; and the last video comes within the bound against the account's own limit (the earliest its limits allow, counted from the
 * first create): a measure of the outcome a user waits for, with room for n8n's unscaled overhead,
 * not a timer. The figures are printed.
 */
import type { LumaEmulator } from '../test/emulator/emulator';
import { activate } from './lib/durable';
import type { AccountLimits, BurstMeasure } from './lib/burst';
import { accountEmulator, burstWorkflow, describeBurst, executionStatuses, fireBurst, measureBurst, webhookListening } from './lib/burst';
import { writeCredentialFile, writeWorkflowFile } from './lib/examples';
import type { QueuePorts } from './lib/queue';
import { finishedExecutions, queueHome, startPostgres, startRedis, startWorker } from './lib/queue';
import type { N8nHome, N8nRest, RunningN8n } from './lib/runtime';
import { importFile, N8N_LINE, n8nVersion, prepareHome, startLoggedIn, step } from './lib/runtime';

const KEY = 'e2e-burst-key-2f9c';
/** 10× fast; `E2E_BURST_SCALE=1` runs the real clock (about 4 minutes a burst), to check the scaled figures. */
const SCALE = Number(process.env.E2E_BURST_SCALE ?? 0.1);
const LIMITS: AccountLimits = { createLimit: { count: 20, windowMs: 60_000 * SCALE }, runningLimit: 10, generationMs: 45_000 * SCALE };
const TIMELINE = { queuedMs: 5_000 * SCALE, dreamingMs: 40_000 * SCALE };
/** 20 s generations (45 s above): 10 running would allow 30 creates a minute, the account's 20 bind. */
const SHORT_TIMELINE = { queuedMs: 5_000 * SCALE, dreamingMs: 15_000 * SCALE };
const SHORT_LIMITS: AccountLimits = { ...LIMITS, generationMs: 20_000 * SCALE };
/** Luma Generate's Creates per Minute for the scaled minute: the account's 20 per window. */
const CREATES_PER_MINUTE = 20 / SCALE;
const BURST = 50;
const REGULAR_PORT = 5780;
const MAIN_PORT = 5770;
const WORKER_PORTS = [5772, 5774];
const QUEUE_PORTS: QueuePorts = { postgres: 5778, redis: 5779, workerHealth: 5776 };
/** Each worker takes all 25 of its share at once (n8n's default is 10): the two queues meet the account together. */
const WORKER_CONCURRENCY = 25;
/**
 * The last video against the account's own limit: `npm run bench` holds one process to 1.05× and
 * queue mode, on the real clock, to 1.1× (1.01× and 1.02×, bench/RESULTS.md); here, on a machine
 * shared with the rest of the suite and a clock 10 times fast, the bound is what a queue spacing
 * creates apart (issue 24: 1.37×) must fail. Queue mode measured 1.12–1.13× on 2.x: n8n starts
 * the 50 executions over about 2.3 s, ten times what that weighs at real scale, so the first
 * wave's creates reach the account that far apart, and each later wave refills the places as
 * they end, as spread.
 */
const ONE_PROCESS_BOUND = 1.2;
const QUEUE_MODE_BOUND = 1.3;
/**
 * Queue mode where the create rate binds (short generations): each worker's queue learns its share
 * of the account's window from a 429 and probes beyond it one create at a time, so a share grows
 * back as the other worker stops, a refused probe followed by the next at the server's next opening.
 * Measured 1.03× on 2.x and 1.02× on 1.x (while a refused probe waited a share's spacing: 1.14×;
 * before the probes: 1.02–1.65×; the old evenly spacing queue 1.11–1.17×).
 */
const QUEUE_MODE_RATE_BOUND = 1.3;

let emulator: LumaEmulator;

beforeAll(async () => {
	emulator = await accountEmulator(KEY, LIMITS, SCALE, TIMELINE);
});

afterAll(async () => {
	await emulator?.stop();
});

function prompts(tag: string): string[] {
	return Array.from({ length: BURST }, (_, i) => `Burst ${tag} prompt ${i}: a paper boat on a rainy street`);
}

/** Everything a user would notice, asserted; the measure printed for the report. */
function expectEveryVideo(measure: BurstMeasure, burstPrompts: string[], answers: Array<{ prompt: string; status: number; body: Record<string, unknown> }>): void {
	expect(answers.map((answer) => [answer.prompt, answer.status, answer.body.state, (answer.body.request as { prompt?: string } | undefined)?.prompt])).toEqual(
		burstPrompts.map((prompt) => [prompt, 200, 'completed', prompt]),
	);
	for (const answer of answers) expect(answer.body.videoUrl).toBe(`${emulator.baseUrl}/assets/${String(answer.body.id)}.mp4`);
	expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(BURST);
	expect(measure.statuses).toEqual({ success: BURST });
	expect(measure.acceptedCreates).toBe(BURST);
	expect([...emulator.createsByPrompt.values()]).toEqual(burstPrompts.map(() => 1));
}

describe(`n8n ${n8nVersion()}, one process: ${BURST} webhook executions at once`, () => {
	let home: N8nHome;
	let n8n: RunningN8n;
	let rest: N8nRest;
	const workflow = burstWorkflow('LumaBurstRegular', 'luma-burst', { createsPerMinute: CREATES_PER_MINUTE });

	beforeAll(async () => {
		home = await prepareHome('e2e-burst', process.env.E2E_TARBALL!, REGULAR_PORT);
		home = { ...home, env: { ...home.env, N8N_LOG_LEVEL: 'info' } };
		await importFile(home, 'credentials', writeCredentialFile(KEY, emulator.baseUrl));
		await importFile(home, 'workflow', writeWorkflowFile('e2e-burst', [workflow]));
		({ n8n, rest } = await startLoggedIn(home, 4_000_000));
		await activate(rest, workflow.id);
	});

	afterAll(async () => {
		await n8n?.stop();
	});

	test('a call without the webhook key is refused (403) and spends nothing', async () => {
		emulator.resetCounters();
		expect(await webhookListening(n8n.url, 'luma-burst')).toBe(403);
		expect(emulator.log).toEqual([]);
	});

	test('every caller gets its completed video, every execution succeeds, one create per prompt', async () => {
		emulator.resetCounters();
		const burstPrompts = prompts('regular');
		const burst = await fireBurst(n8n.url, 'luma-burst', burstPrompts);
		const measure = measureBurst(burst, await executionStatuses(rest, workflow.id, BURST), emulator, LIMITS);
		step(`burst, n8n ${n8nVersion()} (${N8N_LINE}), one process: ${describeBurst(measure)}`);
		expectEveryVideo(measure, burstPrompts, burst.answers);
		expect(measure.ratio).toBeLessThanOrEqual(ONE_PROCESS_BOUND);
		// Items waited in the queue, and said so in n8n's log.
		expect(n8n.output()).toMatch(/Luma Generate: item 0 waits for the account's create limits: position \d+ in the queue, about \d+ s/);
	});
});

describe(`n8n ${n8nVersion()}, queue mode with 2 workers: ${BURST} webhook executions at once`, () => {
	const running: Array<{ stop: () => Promise<void> }> = [];
	let main: RunningN8n;
	let rest: N8nRest;
	const workers: RunningN8n[] = [];
	const workflow = burstWorkflow('LumaBurstQueue01', 'luma-burst-queue', { createsPerMinute: CREATES_PER_MINUTE });
	const shortWorkflow = burstWorkflow('LumaBurstQueue02', 'luma-burst-queue-short', { createsPerMinute: CREATES_PER_MINUTE });

	beforeAll(async () => {
		running.push(await startPostgres(QUEUE_PORTS.postgres));
		running.push(await startRedis(QUEUE_PORTS.redis));
		const mainHome = queueHome(await prepareHome('burst-queue-main', process.env.E2E_TARBALL!, MAIN_PORT), QUEUE_PORTS, 'main');
		await importFile(mainHome, 'credentials', writeCredentialFile(KEY, emulator.baseUrl));
		await importFile(mainHome, 'workflow', writeWorkflowFile('e2e-burst-queue', [workflow, shortWorkflow]));
		({ n8n: main, rest } = await startLoggedIn(mainHome, 2_000_000));
		running.push(main);
		await activate(rest, workflow.id);
		await activate(rest, shortWorkflow.id);
		for (const [index, port] of WORKER_PORTS.entries()) {
			const ports = { ...QUEUE_PORTS, workerHealth: QUEUE_PORTS.workerHealth + index };
			const home = queueHome(await prepareHome(`burst-queue-worker-${index + 1}`, process.env.E2E_TARBALL!, port), ports, 'worker');
			const worker = await startWorker(home, ports, WORKER_CONCURRENCY);
			running.push(worker);
			workers.push(worker);
		}
	});

	afterAll(async () => {
		emulator.configure(TIMELINE);
		for (const service of running.reverse()) {
			await service.stop().catch((error: unknown) => console.error(error));
		}
	});

	test('each worker queues on its own, the 429s keep them in step: every caller gets its video, one create per prompt', async () => {
		emulator.resetCounters();
		await webhookListening(main.url, 'luma-burst-queue');
		const burstPrompts = prompts('queue');
		const burst = await fireBurst(main.url, 'luma-burst-queue', burstPrompts);
		const measure = measureBurst(burst, await executionStatuses(rest, workflow.id, BURST), emulator, LIMITS);
		const perWorker = workers.map(finishedExecutions);
		step(`burst, n8n ${n8nVersion()} (${N8N_LINE}), queue mode, executions per worker ${perWorker.join(' + ')}: ${describeBurst(measure)}`);
		expectEveryVideo(measure, burstPrompts, burst.answers);
		expect(measure.ratio).toBeLessThanOrEqual(QUEUE_MODE_BOUND);
		// Both workers took executions, so two create queues met the account at once.
		for (const count of perWorker) expect(count).toBeGreaterThan(0);
	});

	test('short generations, the create rate binds: two queues at the full rate each, every caller gets its video, one create per prompt', async () => {
		emulator.configure(SHORT_TIMELINE);
		emulator.resetCounters();
		await webhookListening(main.url, 'luma-burst-queue-short');
		const finishedBefore = workers.map(finishedExecutions);
		const burstPrompts = prompts('queue-short');
		const burst = await fireBurst(main.url, 'luma-burst-queue-short', burstPrompts);
		const measure = measureBurst(burst, await executionStatuses(rest, shortWorkflow.id, BURST), emulator, SHORT_LIMITS);
		const perWorker = workers.map((worker, index) => finishedExecutions(worker) - finishedBefore[index]);
		step(`burst, n8n ${n8nVersion()} (${N8N_LINE}), queue mode, 20 s generations, executions per worker ${perWorker.join(' + ')}: ${describeBurst(measure)}`);
		expectEveryVideo(measure, burstPrompts, burst.answers);
		expect(measure.ratio).toBeLessThanOrEqual(QUEUE_MODE_RATE_BOUND);
		for (const count of perWorker) expect(count).toBeGreaterThan(0);
	});
});
