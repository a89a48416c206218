/**
 * The burst rows of `npm run bench` (issues 19 and 24): many webhook executions at once in real
 * n8n (`n8n start`), each Webhook → Luma Generate → Luma Wait with one prompt, against an account
 * that allows 20 creates a minute and 10 generations running (docs/API.md §7). Luma Generate runs
 * at its defaults but for Creates per Minute, which is the account's 20 on the scaled minute.
 *
 * Rows: 60 executions of 8 s generations (the create rate binds), 50 of 45 s, 100 of 2 minutes
 * (the running limit binds), in one n8n on a gateway serving both APIs (the Luma endpoint's long
 * poll), the same on a unified-only gateway, and 60 of 8 s and 50 of 45 s in queue mode with 3
 * workers (each its own create queue; only the server's 429s keep them in step).
 *
 * The 8 s rows and queue mode run on the real clock. Otherwise time runs 10 times fast for the
 * emulator (the account's minute is 6 s, a 2-minute generation 12 s) and for Creates per Minute
 * (200: the same 20 per 6 s). n8n's own clock and the nodes' other
 * delays are not scaled: n8n taking the webhook calls and starting the executions, Luma Wait's 10 s
 * between two asks on the unified API, a 429's backoff when no Retry-After came. So every figure
 * here is if anything worse than at real scale.
 *
 * Figures per row: items failed (goal 0), creates paid twice (goal 0), the 429s, and the time from
 * the first create to the end of the last video (on the emulator) against the earliest the
 * account's limits allow for it (each create sent the moment the server would stop refusing it,
 * `idealLastVideoMs`). On the unified-only gateway the allowance is that plus one of Luma Wait's
 * ask intervals (scaled), as a node that learns of an end only by asking can do no better.
 *
 * Called from bench/run.ts: `runBurstBench(tarball)` (section name `burst`), one row per case.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { LumaEmulator } from '../test/emulator/emulator';
import type { AccountLimits, BurstMeasure } from '../e2e/lib/burst';
import { accountEmulator, burstWorkflow, describeBurst, executionStatuses, fireBurst, measureBurst, webhookListening } from '../e2e/lib/burst';
import { activate } from '../e2e/lib/durable';
import { writeCredentialFile, writeWorkflowFile } from '../e2e/lib/examples';
import { finishedExecutions, queueHome, startPostgres, startRedis, startWorker } from '../e2e/lib/queue';
import type { N8nRest, RunningN8n } from '../e2e/lib/runtime';
import { buildAndPack, ensureRuntime, importFile, prepareHome, ROOT, RUNTIME_DIR, startLoggedIn, step } from '../e2e/lib/runtime';

/** A row of bench/RESULTS.md, as bench/run.ts records it. */
export interface BurstRow {
	figure: string;
	luma: string;
	loop: string;
	goal: string;
	met: boolean;
}

const SCALE = 0.1;
const KEY = 'bench-burst-key-8d1e';
/** Luma Wait's ask interval on the unified API (real seconds; docs/API.md §9.5). */
const ASK_INTERVAL_MS = 10_000;

interface BurstCase {
	executions: number;
	/** Real-scale length of each generation, queued + dreaming. */
	generationS: number;
	/**
	 * The emulator's clock against real time. The 8 s row runs on the real clock (1): at 10× its
	 * whole burst would last 14 s, and n8n's unscaled seconds to start 60 executions would weigh ten
	 * times what they weigh for a user.
	 */
	scale: number;
}

const ONE_PROCESS: BurstCase[] = [
	{ executions: 60, generationS: 8, scale: 1 },
	{ executions: 50, generationS: 45, scale: SCALE },
	{ executions: 100, generationS: 120, scale: SCALE },
];
/**
 * Queue mode runs on the real clock: n8n's start-up of a burst there (its main handing 50
 * executions to the workers through Redis and PostgreSQL) takes about 2 s that no clock here scales,
 * so at 10× fast it would weigh ten times what it weighs for a user (1.07-1.12× of a 22.5 s limit,
 * bench/RESULTS.md's earlier runs).
 */
const QUEUE_MODE: BurstCase[] = [
	{ executions: 60, generationS: 8, scale: 1 },
	{ executions: 50, generationS: 45, scale: 1 },
];
const QUEUE_WORKERS = 3;

/** The account's limits for a case, on the case's clock. */
function limitsOf(burst: BurstCase): AccountLimits {
	return { createLimit: { count: 20, windowMs: 60_000 * burst.scale }, runningLimit: 10, generationMs: burst.generationS * 1000 * burst.scale };
}

/** A tenth of the generation queued, the rest dreaming (on the case's clock). */
function timelineOf(burst: BurstCase): { queuedMs: number; dreamingMs: number } {
	const total = burst.generationS * 1000 * burst.scale;
	return { queuedMs: total / 10, dreamingMs: total - total / 10 };
}

/** The webhook path of a case's workflow: one workflow per clock (its Creates per Minute is 20 / scale). */
function pathOf(base: string, burst: BurstCase): string {
	return burst.scale === 1 ? `${base}-real` : `${base}-fast`;
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Runs one burst on a published webhook and makes its row. */
async function burstRow(
	where: string,
	n8nUrl: string,
	rest: N8nRest,
	workflowId: string,
	webhookPath: string,
	emulator: LumaEmulator,
	burst: BurstCase,
	goalRatio: number,
	allowanceMs: number,
): Promise<BurstRow> {
	const limits = limitsOf(burst);
	emulator.configure({ ...timelineOf(burst), createLimit: limits.createLimit, holdMs: 30_000 * burst.scale });
	await webhookListening(n8nUrl, webhookPath);
	emulator.resetCounters();
	step(`burst (${where}): ${burst.executions} webhook executions at once, generations of ${burst.generationS} s…`);
	const prompts = Array.from({ length: burst.executions }, (_, i) => `Benchmark burst ${webhookPath} ${burst.generationS} s prompt ${i}`);
	const fired = await fireBurst(n8nUrl, webhookPath, prompts);
	const measure: BurstMeasure = measureBurst(fired, await executionStatuses(rest, workflowId, burst.executions, fired.startedAt - 1_000), emulator, limits);
	step(`burst (${where}): ${describeBurst(measure)}`);
	const failed = Math.max(measure.callersWithoutVideo, burst.executions - (measure.statuses.success ?? 0));
	const allowed = measure.idealMs + allowanceMs;
	const ratio = (measure.lastVideoMs - measure.firstCreateMs) / allowed;
	const allowance = allowanceMs > 0 ? ` + one ask interval (${s(allowanceMs)})` : '';
	const clock = burst.scale === 1 ? 'real clock' : `${1 / burst.scale}× fast: ${s(limits.generationMs)} generations, a ${s(limits.createLimit.windowMs)} minute`;
	return {
		figure: `burst, ${where}: ${burst.executions} webhook executions at once, generations of ${burst.generationS} s (20 creates a minute, 10 running; ${clock})`,
		luma:
			`${failed} items failed; ${measure.paidTwice} creates paid twice; last video ${s(measure.lastVideoMs - measure.firstCreateMs)} after the first create: ` +
			`${ratio.toFixed(2)}× the account's limit (${s(measure.idealMs)}${allowance}); ` +
			`${measure.tooMany.createLimit + measure.tooMany.runningLimit} answers 429 (${measure.tooMany.createLimit} create rate, ${measure.tooMany.runningLimit} running), none an error; ` +
			`n8n took ${s(measure.firstCreateMs)} (its own clock) to the first create; last caller answered ${s(measure.lastAnswerMs)} after the burst`,
		loop: '',
		goal: `0 failed, 0 paid twice, last video ≤ ${goalRatio}× the account's limit${allowance}`,
		met: failed === 0 && measure.paidTwice === 0 && measure.acceptedCreates === burst.executions && ratio <= goalRatio,
	};
}

/** The one-process rows on a gateway serving `apis`: one n8n, one emulator, the three cases in turn. */
async function oneProcessRows(tarball: string, apis: 'both' | 'unified', port: number): Promise<BurstRow[]> {
	const emulator = await accountEmulator(KEY, limitsOf(ONE_PROCESS[0]), SCALE, timelineOf(ONE_PROCESS[0]), apis);
	const home = await prepareHome(`bench-burst-${apis}`, tarball, port);
	const base = `bench-burst-${apis}`;
	const tag = apis === 'both' ? 'Both' : 'Unif';
	const workflows = new Map(
		[1, SCALE].map((scale) => {
			const webhookPath = pathOf(base, { executions: 0, generationS: 0, scale });
			return [scale, burstWorkflow(`Burst${tag}${scale === 1 ? 'Real' : 'Fast'}Wf1`, webhookPath, { createsPerMinute: 20 / scale })];
		}),
	);
	await importFile(home, 'credentials', writeCredentialFile(KEY, emulator.baseUrl));
	await importFile(home, 'workflow', writeWorkflowFile(base, [...workflows.values()]));
	const { n8n, rest } = await startLoggedIn(home);
	const rows: BurstRow[] = [];
	try {
		for (const workflow of workflows.values()) await activate(rest, workflow.id);
		const where = apis === 'both' ? 'one n8n, gateway serving both APIs (Luma endpoint, long poll)' : 'one n8n, unified-only gateway';
		for (const burst of ONE_PROCESS) {
			const workflow = workflows.get(burst.scale)!;
			const allowance = apis === 'unified' ? ASK_INTERVAL_MS * burst.scale : 0;
			rows.push(await burstRow(where, n8n.url, rest, workflow.id, pathOf(base, burst), emulator, burst, 1.05, allowance));
		}
	} finally {
		await n8n.stop();
		await emulator.stop();
	}
	return rows;
}

/** Queue mode: main and QUEUE_WORKERS workers, each worker its own create queue; one row per case. */
async function queueModeRows(tarball: string): Promise<BurstRow[]> {
	const ports = { postgres: 5738, redis: 5739, workerHealth: 5740 };
	const emulator = await accountEmulator(KEY, limitsOf(QUEUE_MODE[0]), QUEUE_MODE[0].scale, timelineOf(QUEUE_MODE[0]));
	const running: Array<{ stop: () => Promise<void> }> = [];
	try {
		running.push(await startPostgres(ports.postgres));
		running.push(await startRedis(ports.redis));
		const mainHome = queueHome(await prepareHome('bench-burst-queue-main', tarball, 5730), ports, 'main');
		const webhookPath = 'bench-burst-queue';
		// Every queue-mode case runs on the real clock: one workflow, the account's own 20 a minute.
		const workflow = burstWorkflow('BenchBurstQueue1', webhookPath, { createsPerMinute: 20 });
		await importFile(mainHome, 'credentials', writeCredentialFile(KEY, emulator.baseUrl));
		await importFile(mainHome, 'workflow', writeWorkflowFile(webhookPath, [workflow]));
		const { n8n: main, rest } = await startLoggedIn(mainHome, 2_000_000);
		running.push(main);
		await activate(rest, workflow.id);
		const workers: RunningN8n[] = [];
		const most = Math.max(...QUEUE_MODE.map((burst) => burst.executions));
		for (let index = 0; index < QUEUE_WORKERS; index++) {
			const workerPorts = { ...ports, workerHealth: ports.workerHealth + index };
			const home = queueHome(await prepareHome(`bench-burst-queue-worker-${index + 1}`, tarball, 5732 + 2 * index), workerPorts, 'worker');
			// Each worker may take every execution (n8n's default concurrency is 10).
			const worker = await startWorker(home, workerPorts, most);
			running.push(worker);
			workers.push(worker);
		}
		const rows: BurstRow[] = [];
		let finishedBefore = workers.map(() => 0);
		for (const burst of QUEUE_MODE) {
			const row = await burstRow(`queue mode, main + ${QUEUE_WORKERS} workers`, main.url, rest, workflow.id, webhookPath, emulator, burst, 1.1, 0);
			const finished = workers.map(finishedExecutions);
			const perWorker = finished.map((count, index) => count - finishedBefore[index]);
			finishedBefore = finished;
			rows.push({ ...row, luma: `${row.luma}; executions per worker ${perWorker.join(' + ')}` });
		}
		return rows;
	} finally {
		for (const service of running.reverse()) await service.stop().catch((error: unknown) => console.error(error));
		await emulator.stop();
	}
}

/**
 * Runs every burst case, each in fresh n8n homes on its own emulator and ports, and returns their
 * rows. `tarball`: the packed package to install (bench/run.ts's); built and packed here when
 * omitted. Throws only when a set-up fails; a missed goal is a row with `met: false`.
 */
export async function runBurstBench(tarball?: string, only?: 'queue'): Promise<BurstRow[]> {
	if (!tarball) {
		await ensureRuntime();
		tarball = await buildAndPack();
	}
	if (only === 'queue') return await queueModeRows(tarball);
	return [...(await oneProcessRows(tarball, 'both', 5724)), ...(await oneProcessRows(tarball, 'unified', 5726)), ...(await queueModeRows(tarball))];
}

export const BURST_HEADING = '## Many executions at once on one account (issues 19 and 24)';

/** The burst section of bench/RESULTS.md: how it was measured and its rows. */
export function burstSection(rows: BurstRow[], tookMs: number): string {
	const n8nVersion = (JSON.parse(readFileSync(path.join(RUNTIME_DIR, 'node_modules', 'n8n', 'package.json'), 'utf8')) as { version: string }).version;
	return `${BURST_HEADING}

Measured on ${new Date().toISOString().slice(0, 10)} by \`npm run bench -- burst\` (${Math.round(tookMs / 1000)} s), real n8n ${n8nVersion}, on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}.
Each row: webhook executions fired at once (Webhook → Luma Generate → Luma Wait, one prompt each) against an emulated
account allowing 20 creates a minute and 10 generations running; Luma Generate at its defaults but for Creates per
Minute (20 per the emulator's minute). The measure is the time from the first create the server saw to the end of the
last video on the server, against the earliest the account's limits allow it (every create sent the moment the server
would stop refusing it, \`idealLastVideoMs\` in e2e/lib/burst.ts); on the unified-only gateway the bound adds one of
Luma Wait's ask intervals. The 8 s rows and queue mode run on the real clock; the others 10 times fast for the emulator
(a 6 s minute) while n8n's own clock, and so its start-up and Luma Wait's 10 s asks, are not scaled: those rows are if
anything pessimistic. Queue mode: a main and 3 workers on PostgreSQL and Redis, each worker with its own create queue.

| figure | Luma Generate + Luma Wait | goal | met |
|---|---|---|---|
${rows.map((row) => `| ${row.figure} | ${row.luma} | ${row.goal} | ${row.met ? 'yes' : '**no**'} |`).join('\n')}
`;
}

/** Puts the burst section into bench/RESULTS.md: replaces its old text, or goes before the next section. */
export function writeBurstSection(rows: BurstRow[], tookMs: number): void {
	const file = path.join(ROOT, 'bench', 'RESULTS.md');
	const old = readFileSync(file, 'utf8');
	const section = burstSection(rows, tookMs);
	const at = old.indexOf(BURST_HEADING);
	if (at >= 0) {
		const next = old.indexOf('\n## ', at + BURST_HEADING.length);
		writeFileSync(file, `${old.slice(0, at)}${section}${next < 0 ? '' : old.slice(next)}`);
	} else {
		const next = old.indexOf('\n## ');
		writeFileSync(file, next < 0 ? `${old.trimEnd()}\n\n${section}` : `${old.slice(0, next + 1)}${section}\n${old.slice(next + 1)}`);
	}
}

// `node scripts/run-ts.js bench/burst.ts`: the rows on their own, written into bench/RESULTS.md;
// `… bench/burst.ts queue`: the queue-mode rows only, printed (bench/RESULTS.md left as it was).
if (require.main === module) {
	const started = Date.now();
	const only = process.argv[2] === 'queue' ? 'queue' : undefined;
	runBurstBench(undefined, only).then(
		(rows) => {
			for (const row of rows) console.log(`| ${row.figure} | ${row.luma} | ${row.goal} | ${row.met ? 'yes' : '**no**'} |`);
			if (!only) writeBurstSection(rows, Date.now() - started);
			if (rows.some((row) => !row.met)) process.exit(1);
		},
		(error: unknown) => {
			console.error(error);
			process.exit(1);
		},
	);
}
