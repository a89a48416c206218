/**
 * The burst row of `npm run bench` (issue 19): 100 webhook executions at once in one real n8n
 * (`n8n start`), each Webhook → Luma Generate → Luma Wait with one prompt, against an account that
 * allows 20 creates a minute and 10 generations running, each generation taking 2 minutes (the
 * middle of the API's one to three). Time runs 10 times fast, as in the rest of the benchmark: the
 * account's minute is 6 s and Luma Generate's Creates per Minute is 200 (the same 20 per 6 s).
 *
 * Figures: items failed (goal 0), creates paid twice (goal 0), the time from the first create to
 * the end of the last video against the earliest the account's limits allow (each create sent the
 * moment the server would stop refusing it; goal within 1.1×), and the requests answered 429. The
 * time n8n takes to take the calls and start the executions up to the first create runs on n8n's
 * own clock, which the 10× scale does not shorten: it is reported beside, and counted in a second
 * ratio from the burst (for information: at real scale it is ten times smaller against the rest).
 *
 * Called from bench/run.ts: `record(await runBurstBench(tarball))` (section name `burst`).
 */
import type { AccountLimits } from '../e2e/lib/burst';
import { accountEmulator, burstWorkflow, describeBurst, executionStatuses, fireBurst, measureBurst, webhookListening } from '../e2e/lib/burst';
import { activate } from '../e2e/lib/durable';
import { writeCredentialFile, writeWorkflowFile } from '../e2e/lib/examples';
import { buildAndPack, ensureRuntime, importFile, prepareHome, startLoggedIn, step } from '../e2e/lib/runtime';

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
const EXECUTIONS = 100;
const PORT = 5724;
const LIMITS: AccountLimits = { createLimit: { count: 20, windowMs: 60_000 * SCALE }, runningLimit: 10, generationMs: 120_000 * SCALE };
const TIMELINE = { queuedMs: 10_000 * SCALE, dreamingMs: 110_000 * SCALE };
const GOAL_RATIO = 1.1;

/**
 * Runs the burst in a fresh n8n home on its own emulator and port, and returns its row.
 * `tarball`: the packed package to install (bench/run.ts's); built and packed here when omitted.
 * Throws only when the set-up fails; a missed goal is a row with `met: false`.
 */
export async function runBurstBench(tarball?: string): Promise<BurstRow> {
	if (!tarball) {
		await ensureRuntime();
		tarball = await buildAndPack();
	}
	const emulator = await accountEmulator(KEY, LIMITS, SCALE, TIMELINE);
	const home = await prepareHome('bench-burst', tarball, PORT);
	const workflow = burstWorkflow('BenchBurst000001', 'bench-burst', { createsPerMinute: 20 / SCALE });
	await importFile(home, 'credentials', writeCredentialFile(KEY, emulator.baseUrl));
	await importFile(home, 'workflow', writeWorkflowFile('bench-burst', [workflow]));
	const { n8n, rest } = await startLoggedIn(home);
	try {
		await activate(rest, workflow.id);
		await webhookListening(n8n.url, 'bench-burst');
		emulator.resetCounters();
		step(`running a burst of ${EXECUTIONS} webhook executions at once…`);
		const prompts = Array.from({ length: EXECUTIONS }, (_, i) => `Benchmark burst prompt ${i}`);
		const burst = await fireBurst(n8n.url, 'bench-burst', prompts);
		const measure = measureBurst(burst, await executionStatuses(rest, workflow.id, EXECUTIONS), emulator, LIMITS);
		step(`burst: ${describeBurst(measure)}`);
		const failed = Math.max(measure.callersWithoutVideo, EXECUTIONS - (measure.statuses.success ?? 0));
		const fetches = emulator.count('fetchOne') + emulator.count('fetchMany');
		const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
		return {
			figure:
				`a burst of ${EXECUTIONS} webhook executions at once, one prompt each, on one account (20 creates a minute, 10 running, ` +
				`generations of 2 minutes; all 10× fast: a ${s(LIMITS.createLimit.windowMs)} minute, ${s(LIMITS.generationMs)} generations)`,
			luma:
				`${failed} items failed; ${measure.paidTwice} creates paid twice; last video ${s(measure.lastVideoMs - measure.firstCreateMs)} after the first create, ` +
				`${measure.ratio.toFixed(2)}× the account's limit (${s(measure.idealMs)}: each create the moment the server would accept it); ` +
				`n8n took ${s(measure.firstCreateMs)} (its own clock, not scaled) to start the executions up to the first create: ` +
				`${measure.ratioFromBurst.toFixed(2)}× counted from the burst; ` +
				`${measure.tooMany.createLimit + measure.tooMany.runningLimit} requests answered 429 (${measure.tooMany.createLimit} create limit, ` +
				`${measure.tooMany.runningLimit} running limit), none of them an error; ${fetches} fetches (each execution waits on its own)`,
			loop: '',
			goal: `0 items failed, 0 paid twice, last video ≤ ${GOAL_RATIO}× the account's limit`,
			met: failed === 0 && measure.paidTwice === 0 && measure.acceptedCreates === EXECUTIONS && measure.ratio <= GOAL_RATIO,
		};
	} finally {
		await n8n.stop();
		await emulator.stop();
	}
}

// `node scripts/run-ts.js bench/burst.ts`: the row on its own.
if (require.main === module) {
	runBurstBench().then(
		(row) => {
			console.log(`\n| ${row.figure} | ${row.luma} | ${row.loop || '–'} | ${row.goal} | ${row.met ? 'yes' : '**no**'} |`);
			if (!row.met) process.exit(1);
		},
		(error: unknown) => {
			console.error(error);
			process.exit(1);
		},
	);
}
