/**
 * Many executions on one account (issue 19), for the burst e2e test and the burst benchmark: a
 * workflow Webhook (Header Auth) → Luma Generate → Luma Wait that answers each caller with its
 * finished video, a burst of webhook calls fired at once, what the run came to, and the earliest
 * time the account's limits allow for the last video.
 */
import { randomUUID } from 'node:crypto';

import type { EmulatorOptions } from '../../test/emulator/emulator';
import { LumaEmulator } from '../../test/emulator/emulator';
import type { Workflow } from './examples';
import { CREDENTIAL_ID, CREDENTIAL_NAME, WEBHOOK_AUTH, webhookAuthHeaders } from './examples';
import type { N8nRest } from './runtime';
import { waitUntil } from './runtime';

/** The account's limits as the emulator enforces them, and how long each generation runs. */
export interface AccountLimits {
	/** Accepted creates allowed per sliding window. */
	createLimit: { count: number; windowMs: number };
	/** Generations not yet ended allowed at once. */
	runningLimit: number;
	/** From the accepted create to the end (queued + dreaming). */
	generationMs: number;
}

/**
 * An emulator holding the account's limits (creates per window, generations running at once),
 * its long poll and generations on the same `scale` as the limits (1 = real time), serving
 * `apis` (default both).
 */
export async function accountEmulator(
	key: string,
	limits: AccountLimits,
	scale: number,
	timeline: Pick<EmulatorOptions, 'queuedMs' | 'dreamingMs'>,
	apis: EmulatorOptions['apis'] = 'both',
): Promise<LumaEmulator> {
	return await new LumaEmulator({
		keys: [key],
		apis,
		holdMs: 30_000 * scale,
		...timeline,
		createLimit: limits.createLimit,
		runningLimit: limits.runningLimit,
	}).start();
}

/**
 * The earliest moment (ms after the first create is sent) the last of `count` videos can be
 * finished: every create sent at the first instant the server would accept it, i.e. when neither
 * its create window nor its running limit would refuse it (the emulator's rules: a create is
 * refused while `count` accepted creates are younger than `windowMs`, or `runningLimit`
 * generations have not ended).
 */
export function idealLastVideoMs(count: number, limits: AccountLimits): number {
	const starts: number[] = [];
	for (let i = 0; i < count; i++) {
		const byWindow = i >= limits.createLimit.count ? starts[i - limits.createLimit.count] + limits.createLimit.windowMs : 0;
		const byRunning = i >= limits.runningLimit ? starts[i - limits.runningLimit] + limits.generationMs : 0;
		starts.push(Math.max(byWindow, byRunning));
	}
	return starts[count - 1] + limits.generationMs;
}

/**
 * Webhook (POST, Header Auth with the examples' webhook key, answering when the execution ends
 * with the last node's first item) → Luma Generate (`generateOptions`) → Luma Wait (`waitParameters`).
 */
export function burstWorkflow(id: string, webhookPath: string, generateOptions: Record<string, unknown> = {}, waitParameters: Record<string, unknown> = {}): Workflow {
	const credentials = { apilaplasApi: { id: CREDENTIAL_ID, name: CREDENTIAL_NAME } };
	return {
		id,
		name: `Luma burst (${webhookPath})`,
		nodes: [
			{
				id: randomUUID(),
				name: 'Video request',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: randomUUID(),
				parameters: { httpMethod: 'POST', path: webhookPath, authentication: 'headerAuth', responseMode: 'lastNode', options: {} },
				credentials: { httpHeaderAuth: { id: WEBHOOK_AUTH.id, name: WEBHOOK_AUTH.name } },
			},
			{
				id: randomUUID(),
				name: 'Luma Generate',
				type: 'n8n-nodes-apilaplas-luma.lumaGenerate',
				typeVersion: 2,
				position: [220, 0],
				parameters: { prompt: '={{ $json.body.prompt }}', options: generateOptions },
				credentials,
			},
			{
				id: randomUUID(),
				name: 'Luma Wait',
				type: 'n8n-nodes-apilaplas-luma.lumaWait',
				typeVersion: 1,
				position: [440, 0],
				parameters: { maxWaitSeconds: 600, ...waitParameters },
				credentials,
			},
		],
		connections: {
			'Video request': { main: [[{ node: 'Luma Generate', type: 'main', index: 0 }]] },
			'Luma Generate': { main: [[{ node: 'Luma Wait', type: 'main', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
		pinData: {},
		active: false,
	};
}

export interface BurstAnswer {
	prompt: string;
	status: number;
	/** The caller's answer: Luma Wait's first item (the finished generation), or n8n's error. */
	body: Record<string, unknown>;
	/** ms after the burst started. */
	answeredAfterMs: number;
}

export interface Burst {
	startedAt: number;
	answers: BurstAnswer[];
}

/** POSTs `{prompt}` to the webhook once per prompt, all at once (with the webhook key), and waits for every answer. */
export async function fireBurst(baseUrl: string, webhookPath: string, prompts: string[], headers = webhookAuthHeaders()): Promise<Burst> {
	const startedAt = Date.now();
	const answers = await Promise.all(
		prompts.map(async (prompt): Promise<BurstAnswer> => {
			const res = await fetch(`${baseUrl}/webhook/${webhookPath}`, {
				method: 'POST',
				headers: { 'Content-Type': 'application/json', ...headers },
				body: JSON.stringify({ prompt }),
				signal: AbortSignal.timeout(20 * 60_000),
			});
			const text = await res.text();
			let body: Record<string, unknown>;
			try {
				body = JSON.parse(text) as Record<string, unknown>;
			} catch {
				body = { text };
			}
			return { prompt, status: res.status, body, answeredAfterMs: Date.now() - startedAt };
		}),
	);
	return { startedAt, answers };
}

/** Waits until the webhook answers at all (publishing takes a moment): a POST without the key gets 403 once registered. */
export async function webhookListening(baseUrl: string, webhookPath: string): Promise<number> {
	return await waitUntil(`the webhook ${webhookPath} is registered`, async () => {
		const res = await fetch(`${baseUrl}/webhook/${webhookPath}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
		await res.text();
		return res.status === 404 ? undefined : res.status;
	}, 60_000);
}

const STATUSES = ['success', 'error', 'crashed', 'canceled', 'waiting', 'running', 'new', 'unknown'];

/**
 * How many executions of the workflow ended in each status (n8n's own record), once `expected` have
 * ended; with `startedAfter` (ms since epoch), only executions started then or later (n8n's
 * `startedAfter` filter), so a later burst on the same workflow is counted alone.
 */
export async function executionStatuses(rest: N8nRest, workflowId: string, expected: number, startedAfter?: number): Promise<Record<string, number>> {
	const since = startedAfter === undefined ? {} : { startedAfter: new Date(startedAfter).toISOString() };
	// n8n lists at most 100 executions a page: count each status through the list's `count`.
	const count = async (status?: string): Promise<number> => {
		const filter = encodeURIComponent(JSON.stringify(status ? { workflowId, ...since, status: [status] } : { workflowId, ...since }));
		return ((await rest.request('GET', `/executions?filter=${filter}&limit=1`)) as { count: number }).count;
	};
	return await waitUntil(`${expected} executions of ${workflowId} have ended`, async () => {
		if ((await count()) < expected) return undefined;
		const counts: Record<string, number> = {};
		for (const status of STATUSES) {
			const n = await count(status);
			if (n > 0) counts[status] = n;
		}
		return counts.running || counts.new ? undefined : counts;
	}, 120_000);
}

export interface BurstMeasure {
	executions: number;
	/** Callers whose answer was not a completed video. */
	callersWithoutVideo: number;
	/** Executions n8n recorded in each status. */
	statuses: Record<string, number>;
	acceptedCreates: number;
	/** Prompts created more than once (each extra create paid twice). */
	paidTwice: number;
	tooMany: { createLimit: number; runningLimit: number };
	/** From the burst's first POST to the last generation's end on the server, and to the last answer. */
	lastVideoMs: number;
	lastAnswerMs: number;
	/** From the burst's first POST to the first create the server saw: n8n taking the calls and starting the executions. */
	firstCreateMs: number;
	/** The earliest the account's limits allow for the last video, counted from the first create. */
	idealMs: number;
	/** (lastVideoMs - firstCreateMs) / idealMs: the account's time used against its limit. */
	ratio: number;
	/** lastVideoMs / idealMs: the same, counted from the burst (n8n's start-up included). */
	ratioFromBurst: number;
}

/** What a burst came to, from the callers' answers, n8n's executions and the emulator's counters. */
export function measureBurst(burst: Burst, statuses: Record<string, number>, emulator: LumaEmulator, limits: AccountLimits): BurstMeasure {
	const lastEnd = Math.max(...[...emulator.generations.values()].map((generation) => generation.endAt));
	const idealMs = idealLastVideoMs(burst.answers.length, limits);
	const lastVideoMs = lastEnd - burst.startedAt;
	const firstCreateMs = (emulator.log.find((entry) => entry.endpoint === 'create')?.at ?? burst.startedAt) - burst.startedAt;
	return {
		executions: burst.answers.length,
		callersWithoutVideo: burst.answers.filter((answer) => answer.status !== 200 || answer.body.state !== 'completed').length,
		statuses,
		acceptedCreates: emulator.acceptedCreates,
		paidTwice: [...emulator.createsByPrompt.values()].filter((count) => count > 1).length,
		tooMany: { createLimit: emulator.tooManyRequests.createLimit, runningLimit: emulator.tooManyRequests.runningLimit },
		lastVideoMs,
		lastAnswerMs: Math.max(...burst.answers.map((answer) => answer.answeredAfterMs)),
		firstCreateMs,
		idealMs,
		ratio: (lastVideoMs - firstCreateMs) / idealMs,
		ratioFromBurst: lastVideoMs / idealMs,
	};
}

/** One line for logs and reports. */
export function describeBurst(measure: BurstMeasure): string {
	const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
	return (
		`${measure.executions} executions: ${JSON.stringify(measure.statuses)}; ${measure.callersWithoutVideo} callers without their video; ` +
		`${measure.acceptedCreates} creates accepted, ${measure.paidTwice} paid twice; 429s: ${measure.tooMany.createLimit} for the create limit, ` +
		`${measure.tooMany.runningLimit} for the running limit; first create ${s(measure.firstCreateMs)} after the burst, last video ` +
		`${s(measure.lastVideoMs - measure.firstCreateMs)} after that: ${measure.ratio.toFixed(2)}× the account's limit (${s(measure.idealMs)}), ` +
		`${measure.ratioFromBurst.toFixed(2)}× counted from the burst; last answer ${s(measure.lastAnswerMs)} after the burst`
	);
}
