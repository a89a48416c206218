/**
 * Luma Wait on each of the gateway's APIs, side by side with the gateway docs' plain loop, for
 * generations of realistic length (one to three minutes, docs/API.md §7).
 *
 * Why in-process: what sets these figures is the nodes' own clock (the unified API is asked
 * every `timing.unifiedPollMs`, 10 s), which a real n8n process cannot run fast. So Luma Wait runs
 * in n8n's execution engine (n8n-core's WorkflowExecute, the same engine real n8n runs, see
 * test/helpers/engine.ts) in this process, with every delay of the nodes scaled by `scale`
 * (`scaleTiming`) and every timeline of the emulator scaled alike (generation lengths, the long
 * poll's 30 s hold). Latencies are reported in real-time units (measured ÷ scale): the work that
 * does not scale (HTTP on loopback, the engine) is then counted `1 / scale` times over, so they
 * are, if anything, overstated. Counts do not depend on the scale.
 *
 * The docs' loop is modelled as the gateway's examples write it: ask once, and while the status
 * is `queued` or `generating`, sleep 15 s and ask again, one loop per generation, against the
 * same emulator on the same scaled clock.
 *
 * Each measurement runs in a process of its own (`measure`): a clean clock and module state, and
 * ts-node told to prefer .ts files (LumaGenerate.node.json, the node's codex file, would otherwise
 * shadow LumaGenerate.node.ts when test/helpers/engine.ts imports it).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';

import type { ApiName } from '../test/emulator/emulator';
import { LumaEmulator, PROBE_ID, UNIFIED_PATH } from '../test/emulator/emulator';
import { scaleTiming } from '../nodes/shared/timing';
import { ROOT, run, STATE_DIR } from '../e2e/lib/runtime';

const KEY = 'bench-key-waits-4a1c';
/** Every generation sits this long in `queued` before dreaming (real seconds). */
const QUEUED_S = 10;
/** The gateway docs' loop: the pause between two asks (real seconds). */
export const DOCS_LOOP_S = 15;

/** What one wait for a set of generations came to, in real-time units. */
export interface WaitFigures {
	generations: number;
	/** Fetch requests to wait for them all (free probe reads not counted: see `probes`). */
	requests: number;
	/** The free reads that found out which API the gateway serves (once per process and Base URL). */
	probes: number;
	/** Per generation: from its completion to the first answer that said so, in ms. */
	detectionMs: number[];
	/** From the last completion to the items leaving the wait (all leave together), in ms. */
	outputMs: number;
	/** Every generation reached Completed. */
	allCompleted: boolean;
}

/** One generation's length in real seconds: spread evenly over one to three minutes for `count` > 1. */
export function spreadLengths(count: number, single = 125): number[] {
	if (count === 1) return [single];
	return Array.from({ length: count }, (_, i) => 60 + (120 * i) / (count - 1));
}

/** Generations made directly on `api` of a fresh emulator, each `lengthsS[i]` long from now (scaled). */
function seedGenerations(emulator: LumaEmulator, api: ApiName, lengthsS: number[], scale: number, tag: string): string[] {
	return lengthsS.map((seconds, i) =>
		emulator.seed(`Benchmark ${tag} ${i}`, { queuedMs: QUEUED_S * 1000 * scale, dreamingMs: (seconds - QUEUED_S) * 1000 * scale }, api),
	);
}

function askedIds(url: string, base: string): string[] {
	const params = new URL(url, base).searchParams;
	return [...params.getAll('generation_id'), ...params.getAll('generation_ids[]'), ...params.getAll('generation_ids')].flatMap((value) => value.split(','));
}

/** Per generation: from its completion to the first fetch answered after it (ms, scaled clock). */
function detectionLags(emulator: LumaEmulator, ids: string[]): number[] {
	const fetches = emulator.log.filter((entry) => (entry.endpoint === 'fetchOne' || entry.endpoint === 'fetchMany') && entry.status === 200);
	return ids.map((id) => {
		const endAt = emulator.generations.get(id)!.endAt;
		const answer = fetches.find((entry) => entry.doneAt !== undefined && entry.doneAt >= endAt && askedIds(entry.url, emulator.baseUrl).includes(id));
		return answer ? answer.doneAt! - endAt : Infinity;
	});
}

function figures(emulator: LumaEmulator, ids: string[], outputAt: number, allCompleted: boolean, scale: number): WaitFigures {
	const lastEnd = Math.max(...ids.map((id) => emulator.generations.get(id)!.endAt));
	return {
		generations: ids.length,
		requests: emulator.count('fetchOne') + emulator.count('fetchMany'),
		probes: emulator.log.filter((entry) => entry.url.includes(PROBE_ID)).length,
		detectionMs: detectionLags(emulator, ids).map((ms) => ms / scale),
		outputMs: (outputAt - lastEnd) / scale,
		allCompleted,
	};
}

/** n8n-core's engine (test/helpers/engine.ts), its settings and binary data in .e2e/bench-engine. */
async function loadEngine(): Promise<typeof import('../test/helpers/engine')> {
	// n8n-core reads N8N_USER_FOLDER when it loads.
	const folder = path.join(STATE_DIR, 'bench-engine');
	mkdirSync(folder, { recursive: true });
	process.env.N8N_USER_FOLDER = folder;
	process.env.N8N_ENCRYPTION_KEY ??= 'bench-encryption-key-not-secret';
	return await import('../test/helpers/engine');
}

/**
 * Luma Wait (its defaults, Max Wait 1 h) for generations of `lengthsS` on a gateway serving only
 * `api`, through n8n's engine on a clock `1 / scale` times fast.
 */
async function measureLumaWait(api: ApiName, lengthsS: number[], scale: number): Promise<WaitFigures> {
	const { chain, items, node, runWorkflow, TRIGGER_TYPE, WAIT_TYPE } = await loadEngine();

	scaleTiming(scale);
	const emulator = await new LumaEmulator({ keys: [KEY], apis: api, holdMs: 30_000 * scale }).start();
	try {
		const ids = seedGenerations(emulator, api, lengthsS, scale, `wait-${api}`);
		const result = await runWorkflow({
			nodes: [node('Trigger', TRIGGER_TYPE), node('Luma Wait', WAIT_TYPE, { maxWaitSeconds: 3600 })],
			connections: chain('Trigger', 'Luma Wait'),
			items: items(...ids.map((id) => ({ id }))),
			credentials: { apiKey: KEY, baseUrl: emulator.baseUrl },
		});
		if (result.error) throw new Error(`Luma Wait on the ${api} API failed: ${result.error.message}`);
		const task = result.run.data.resultData.runData['Luma Wait'][0];
		const completed = result.outputs('Luma Wait')[0] ?? [];
		return figures(emulator, ids, task.startTime + task.executionTime, completed.length === ids.length, scale);
	} finally {
		await emulator.stop();
		scaleTiming(1);
	}
}

/** What `executions` executions of one Luma Wait each, waiting at once on the Luma endpoint, cost the gateway. */
export interface SharedFigures {
	executions: number;
	/** Fetch requests (fetch one and fetch many) in all. */
	reads: number;
	/** The most fetch requests open at one moment (a request counts from its arrival until its socket answers or closes). */
	peakInFlight: number;
	/** Hold windows (the server's 30 s) the generations span: ceil(length / 30 s). */
	windows: number;
	/** Per execution: from its generation's end to its item leaving Luma Wait, in ms (real-time units). */
	outputMs: number[];
	/** Every execution ended with its own id, and only it, on Completed. */
	allOwn: boolean;
}

/** The hold of the Luma endpoint's long poll (real seconds). */
const HOLD_S = 30;

/**
 * `executions` executions started together, each a Luma Wait (defaults, Max Wait 1 h) for one
 * generation of its own, all `lengthS` long, on a gateway serving only the Luma endpoint, one account.
 */
async function measureShared(executions: number, lengthS: number, scale: number): Promise<SharedFigures> {
	const { chain, items, node, runWorkflow, TRIGGER_TYPE, WAIT_TYPE } = await loadEngine();

	scaleTiming(scale);
	const emulator = await new LumaEmulator({ keys: [KEY], apis: 'luma', holdMs: HOLD_S * 1000 * scale }).start();
	// Requests open right now, counted on the server's own sockets: a request the client gives up
	// on never gets an answer logged, only a closed socket.
	let open = 0;
	let peakInFlight = 0;
	const server = (emulator as unknown as { server: import('node:http').Server }).server;
	server.on('request', (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
		if (!(req.url ?? '').includes('/luma-ai/generation') || (req.url ?? '').includes(PROBE_ID)) return;
		peakInFlight = Math.max(peakInFlight, ++open);
		res.on('close', () => open--);
	});
	try {
		const ids = seedGenerations(emulator, 'luma', Array.from({ length: executions }, () => lengthS), scale, 'shared');
		const runs = await Promise.all(
			ids.map((id) =>
				runWorkflow({
					nodes: [node('Trigger', TRIGGER_TYPE), node('Luma Wait', WAIT_TYPE, { maxWaitSeconds: 3600 })],
					connections: chain('Trigger', 'Luma Wait'),
					items: items({ id }),
					credentials: { apiKey: KEY, baseUrl: emulator.baseUrl },
				}),
			),
		);
		const outputMs: number[] = [];
		let allOwn = true;
		runs.forEach((result, i) => {
			const completed = result.outputs('Luma Wait')[0] ?? [];
			allOwn &&= !result.error && completed.length === 1 && completed[0].json.id === ids[i];
			const task = result.run.data.resultData.runData['Luma Wait']?.[0];
			if (task) outputMs.push((task.startTime + task.executionTime - emulator.generations.get(ids[i])!.endAt) / scale);
		});
		return {
			executions,
			reads: emulator.count('fetchOne') + emulator.count('fetchMany'),
			peakInFlight,
			windows: Math.ceil(lengthS / HOLD_S),
			outputMs,
			allOwn,
		};
	} finally {
		await emulator.stop();
		scaleTiming(1);
	}
}

/** Measures `executions` executions waiting at once (see `measureShared`) in a process of its own. */
export async function measureSharedWaits(executions: number, lengthS: number, scale: number): Promise<SharedFigures> {
	const tsNode = path.join(ROOT, 'node_modules', 'ts-node', 'dist', 'bin.js');
	const { stdout } = await run(process.execPath, [tsNode, '--transpile-only', '--prefer-ts-exts', __filename, 'shared', JSON.stringify([executions, lengthS]), String(scale)]);
	return JSON.parse(stdout.trim().split('\n').pop()!) as SharedFigures;
}

/**
 * The same measurement before the reads were shared (issue 24), on 2026-12-03 at commit 5ebbdaa:
 * each execution held its own long poll.
 */
export const BEFORE_SHARING = {
	executions: 50,
	reads: 250,
	peakInFlight: 50,
	windows: 5,
	/** Completion-to-output latency per execution, median and max (real-time units, ms). */
	outputMedianMs: 810,
	outputMaxMs: 1260,
};

/** A row of the issue 18 table (see bench/run.ts): the figure, its value per column, the goal and whether it is met. */
export interface ApiRow {
	figure: string;
	unified: string;
	longPoll: string;
	docsLoop: string;
	goal: string;
	met: boolean;
}

/**
 * 50 executions waiting at once on the Luma endpoint, each for a generation of 125 s (5 hold
 * windows): reads in flight at once (goal ≤ 2) and reads per hold window (goal ≤ ceil(50/50) + 1),
 * beside the figures before sharing (`BEFORE_SHARING`). Latencies in real-time units.
 */
export async function sharedWaitsRows(scale: number): Promise<ApiRow[]> {
	const executions = 50;
	const lengthS = 125;
	const now = await measureSharedWaits(executions, lengthS, scale);
	const perWindow = (figures: { reads: number; windows: number }) => figures.reads / figures.windows;
	const windowGoal = Math.ceil(executions / 50) + 1;
	const sorted = [...now.outputMs].sort((a, b) => a - b);
	const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Infinity;
	const what = `${executions} executions waiting at once on the Luma endpoint, one generation of ${lengthS} s each, one account`;
	return [
		{
			figure: `${what}: fetch requests in flight at once (peak)`,
			unified: '–',
			longPoll: `${now.peakInFlight} (before sharing: ${BEFORE_SHARING.peakInFlight})`,
			docsLoop: '–',
			goal: '≤ 2',
			met: now.allOwn && now.peakInFlight <= 2,
		},
		{
			figure: `${what}: fetch requests per hold window (30 s)`,
			unified: '–',
			longPoll: `${perWindow(now).toFixed(2)} (${now.reads} in ${now.windows} windows; before sharing: ${perWindow(BEFORE_SHARING).toFixed(2)}, ${BEFORE_SHARING.reads})`,
			docsLoop: '–',
			goal: `≤ ${windowGoal} (ceil(${executions}/50) + 1)`,
			met: now.allOwn && perWindow(now) <= windowGoal,
		},
		{
			figure: `${what}: completion-to-output latency per execution (its generation's end to its item leaving Luma Wait)`,
			unified: '–',
			longPoll: `median ${(at(50) / 1000).toFixed(1)} s, max ${(at(100) / 1000).toFixed(1)} s (before sharing: median ${(BEFORE_SHARING.outputMedianMs / 1000).toFixed(1)} s, max ${(BEFORE_SHARING.outputMaxMs / 1000).toFixed(1)} s); every execution got exactly its own item: ${now.allOwn ? 'yes' : 'no'}`,
			docsLoop: '–',
			goal: `each execution gets its own item; max no later than before sharing (${(BEFORE_SHARING.outputMaxMs / 1000).toFixed(1)} s)`,
			met: now.allOwn && at(100) <= BEFORE_SHARING.outputMaxMs,
		},
	];
}

/** The docs' loop for one generation: ask, and while queued or generating, sleep and ask again. When it saw the end. */
async function docsLoop(baseUrl: string, id: string, pauseMs: number): Promise<{ at: number; status: string }> {
	for (;;) {
		const res = await fetch(`${baseUrl}${UNIFIED_PATH}?generation_id=${id}`, { headers: { Authorization: `Bearer ${KEY}` } });
		const { status } = (await res.json()) as { status: string };
		if (status !== 'queued' && status !== 'generating') return { at: Date.now(), status };
		await new Promise((resolve) => setTimeout(resolve, pauseMs));
	}
}

/** The gateway docs' loop (every 15 s), one per generation, all at once, on the unified API. */
async function measureDocsLoop(lengthsS: number[], scale: number): Promise<WaitFigures> {
	const emulator = await new LumaEmulator({ keys: [KEY], apis: 'unified' }).start();
	try {
		const ids = seedGenerations(emulator, 'unified', lengthsS, scale, 'docs-loop');
		const ends = await Promise.all(ids.map((id) => docsLoop(emulator.baseUrl, id, DOCS_LOOP_S * 1000 * scale)));
		return figures(emulator, ids, Math.max(...ends.map((end) => end.at)), ends.every((end) => end.status === 'completed'), scale);
	} finally {
		await emulator.stop();
	}
}

/** What is measured: Luma Wait on a gateway serving only that API, or the docs' loop. */
export type WaitKind = ApiName | 'docsLoop';

/** Measures one wait for `lengthsS` on a clock `1 / scale` times fast, in a process of its own. */
export async function measure(kind: WaitKind, lengthsS: number[], scale: number): Promise<WaitFigures> {
	const tsNode = path.join(ROOT, 'node_modules', 'ts-node', 'dist', 'bin.js');
	const { stdout } = await run(process.execPath, [tsNode, '--transpile-only', '--prefer-ts-exts', __filename, kind, JSON.stringify(lengthsS), String(scale)]);
	const figures = JSON.parse(stdout.trim().split('\n').pop()!) as WaitFigures;
	// JSON has no Infinity: a generation no answer reported done comes back as null.
	figures.detectionMs = figures.detectionMs.map((ms) => (ms === null ? Infinity : ms));
	return figures;
}

if (require.main === module) {
	const [kind, lengths, scale] = process.argv.slice(2);
	const lengthsS = JSON.parse(lengths) as number[];
	const work =
		kind === 'shared'
			? measureShared(lengthsS[0], lengthsS[1], Number(scale))
			: kind === 'docsLoop'
				? measureDocsLoop(lengthsS, Number(scale))
				: measureLumaWait(kind as ApiName, lengthsS, Number(scale));
	work.then(
		(figures) => {
			process.stdout.write(`${JSON.stringify(figures)}\n`);
			process.exit(0);
		},
		(error) => {
			console.error(error);
			process.exit(1);
		},
	);
}
