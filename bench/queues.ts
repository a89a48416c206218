/**
 * The create queues of queue mode, without n8n: W queues (one per worker) share one account on the
 * emulator, each fed its share of a burst at once. Each create is sent over HTTP as Luma Generate
 * sends it; each generation's end is reported to its queue when the emulator's timeline ends it,
 * as Luma Wait's shared reads do. Prints, per case and run: the last video against the account's
 * own limit, and the 429s by limit. Seconds per case, so the queue's rules can be compared quickly;
 * `npm run bench` measures the same in real n8n.
 *
 * Usage: node scripts/run-ts.js bench/queues.ts [runs per case, default 3]. `CASE=<part of a name>`
 * runs the matching cases only; `SCALE=1` runs the account on the real clock (default 0.1), and
 * `SCALE_QUEUES=1` the queues' own delays at SCALE too; `TRACE=1` prints every create's answer and
 * every end as they come.
 */
import type { AccountLimits } from '../e2e/lib/burst';
import { accountEmulator, idealLastVideoMs } from '../e2e/lib/burst';
import type { CreateAttempt } from '../nodes/shared/transport/createQueue';
import { CreateQueue } from '../nodes/shared/transport/createQueue';
import { tooManyCause } from '../nodes/shared/transport/queued';
import { retryAfterMs } from '../nodes/shared/transport/answer';
import { GENERATION_PATH } from '../test/emulator/emulator';
import { scaleTiming } from '../nodes/shared/timing';

const KEY = 'bench-queues-key';
/** Account time runs ten times as fast, as in the burst e2e test; the queues run on the real clock. */
const SCALE = Number(process.env.SCALE ?? 0.1);
/**
 * `SCALE_QUEUES=1`: the queues' own delays (backoff, the minute of Creates per Minute) run at
 * SCALE too, so a run models the real clock on both sides (the real-clock rows of `npm run bench`),
 * SCALE times as fast. Set ARRIVAL_SPREAD_MS to match (n8n's 2 s at 0.1: 200).
 */
const SCALE_QUEUES = process.env.SCALE_QUEUES === '1';
if (SCALE_QUEUES) scaleTiming(SCALE);
/** Executions reach a worker's queue within this long of the burst (real n8n: Redis, then the trigger). */
const ARRIVAL_SPREAD_MS = Number(process.env.ARRIVAL_SPREAD_MS ?? 1_000);
/** Luma Wait reports a generation's end this long after it (its long poll's answer). */
const REPORT_DELAY_MS = Number(process.env.REPORT_DELAY_MS ?? 100);

interface Case {
	name: string;
	workers: number;
	creates: number;
	generationMs: number;
}

const CASES: Case[] = [
	{ name: 'create rate binds (20 s generations), 2 workers', workers: 2, creates: 50, generationMs: 20_000 },
	{ name: 'create rate binds (8 s generations), 3 workers', workers: 3, creates: 60, generationMs: 8_000 },
	{ name: 'running limit binds (45 s generations), 2 workers', workers: 2, creates: 50, generationMs: 45_000 },
	{ name: 'running limit binds (45 s generations), 3 workers', workers: 3, creates: 50, generationMs: 45_000 },
	{ name: 'one process (45 s generations)', workers: 1, creates: 50, generationMs: 45_000 },
];

async function runCase(c: Case): Promise<{ ratio: number; window: number; running: number }> {
	const limits: AccountLimits = { createLimit: { count: 20, windowMs: 60_000 * SCALE }, runningLimit: 10, generationMs: c.generationMs * SCALE };
	const timeline = { queuedMs: limits.generationMs / 10, dreamingMs: (limits.generationMs * 9) / 10 };
	const emulator = await accountEmulator(KEY, limits, SCALE, timeline, 'luma');
	try {
		const queues = Array.from({ length: c.workers }, () => new CreateQueue());
		const ends: number[] = [];
		let firstSent = Infinity;
		const started = Date.now();
		const send = async (queue: CreateQueue, prompt: string): Promise<CreateAttempt<string>> => {
			firstSent = Math.min(firstSent, Date.now());
			const response = await fetch(emulator.baseUrl + GENERATION_PATH, {
				method: 'POST',
				headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
				body: JSON.stringify({ prompt, model: 'ray-2' }),
			});
			const body = (await response.json()) as { id: string; message?: string };
			if (process.env.TRACE) console.log(`${((Date.now() - started) / 1000).toFixed(2)} q${queues.indexOf(queue)} ${prompt}: ${response.status} ${response.status === 429 ? (body.message ?? JSON.stringify(body)) + ' ' + response.headers.get('retry-after') : ''} ${JSON.stringify(queue.state)}`);
			if (response.status === 429) {
				return { tooMany: true, retryAfterMs: retryAfterMs(response.headers.get('retry-after') ?? undefined), cause: tooManyCause(body) };
			}
			if (response.status >= 300) throw new Error(`HTTP ${response.status}: ${JSON.stringify(body)}`);
			// Luma Wait's shared long poll reports the end within a moment of it.
			setTimeout(() => {
				ends.push(Date.now());
				if (process.env.TRACE) console.log(`${((Date.now() - started) / 1000).toFixed(2)} q${queues.indexOf(queue)} ${prompt} ended`);
				queue.ended(body.id);
			}, limits.generationMs + REPORT_DELAY_MS);
			return { tooMany: false, result: body.id, generationId: body.id };
		};
		await Promise.all(
			Array.from({ length: c.creates }, async (_, index) => {
				const queue = queues[index % c.workers];
				// Executions reach the workers over a moment, not all in one tick.
				await new Promise((resolve) => setTimeout(resolve, Math.random() * ARRIVAL_SPREAD_MS));
				return await queue.run({ perMinute: SCALE_QUEUES ? 20 : 20 / SCALE, deadline: Infinity }, () => send(queue, `prompt ${index}`));
			}),
		);
		await new Promise((resolve) => setTimeout(resolve, limits.generationMs + 200));
		const last = Math.max(...ends) - REPORT_DELAY_MS - firstSent;
		return {
			ratio: last / idealLastVideoMs(c.creates, limits),
			window: emulator.tooManyRequests.createLimit,
			running: emulator.tooManyRequests.runningLimit,
		};
	} finally {
		await emulator.stop();
	}
}

async function main(): Promise<void> {
	const runs = Number(process.argv[2] ?? 3);
	for (const c of CASES.filter((each) => !process.env.CASE || each.name.includes(process.env.CASE))) {
		const results: string[] = [];
		for (let run = 0; run < runs; run++) {
			const r = await runCase(c);
			results.push(`${r.ratio.toFixed(2)}× (429s ${r.window} rate + ${r.running} running)`);
		}
		console.log(`${c.name}: ${results.join(', ')}`);
	}
}

void main();
