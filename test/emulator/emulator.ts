/**
 * A local server of the whole API contract (docs/API.md), every unknown a switch (§10).
 * Used in-process by tests and benchmarks, and as a process by `npm run emulator`.
 *
 * It speaks both of the gateway's APIs (switch `apis`): the Luma endpoint (docs/API.md §2, §3)
 * and the unified video API (§4). The account behind them is one: the create rate limit,
 * the running limit and the credits count the creates of both.
 *
 * No answer depends on a timer firing on time: a timer only wakes the emulator, which then reads
 * the clock and acts on the states really reached (switch `timerSkewMs` fires them early to prove it).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';

import type { CreateBody, Keyframe } from './validate';
import { validateCreate } from './validate';
import type { UnifiedCreateBody } from './validate-unified';
import { unifiedPrice, validateUnifiedCreate } from './validate-unified';

export const GENERATION_PATH = '/v2/generate/video/luma-ai/generation';
export const GENERATIONS_PATH = '/v2/generate/video/luma-ai/generations';
/** The unified video API (docs/API.md §4): POST creates, GET `?generation_id=` fetches one. */
export const UNIFIED_PATH = '/v2/video/generations';
/** What the Luma endpoint charges for every accepted create (docs/API.md §8). */
export const LUMA_PRICE = 500_000;
export const SAMPLE_MP4 = readFileSync(path.join(__dirname, 'sample.mp4'));
export const STATES = ['queued', 'dreaming', 'completed', 'failed'] as const;
export type State = (typeof STATES)[number];

/** The generation shapes of docs/API.md §5.2. */
export type Shape = 'upstream' | 'status-field' | 'video-object' | 'video-url' | 'suffixed-id';
/** Which wait parameter the server honours: `schema` is `state` for one, `status` for many. */
export type WaitParam = 'schema' | 'state' | 'status' | 'both' | 'none';
/**
 * `probe`: a read of the all-zero generation id the nodes and the credential test use to learn
 * which API answers (never a real generation), logged apart so request counts stay about work.
 */
export type Endpoint = 'create' | 'fetchOne' | 'fetchMany' | 'asset' | 'probe';

/** The id of the nodes' probe reads (nodes/shared/transport/probe.ts). */
export const PROBE_ID = '00000000-0000-4000-8000-000000000000';
/** The gateway's two APIs: the Luma endpoint and the unified video API (docs/API.md §1.1). */
export type ApiName = 'luma' | 'unified';
/** Which APIs a gateway serves; the others' paths do not exist there. */
export type ApiFlavour = ApiName | 'both';
export const API_FLAVOURS: readonly ApiFlavour[] = ['luma', 'unified', 'both'];
/** The unified API's status for each state (docs/API.md §5.1). */
export const UNIFIED_STATUS: Record<State, string> = { queued: 'queued', dreaming: 'generating', completed: 'completed', failed: 'error' };
/** Why a 429 was answered: the create rate limit, the running limit, or an injected fault. */
export type TooManyReason = 'createLimit' | 'runningLimit' | 'injected';

/** The flavour from `LUMA_EMULATOR_APIS` (unset: both), so any suite can run against each. */
export function defaultApis(): ApiFlavour {
	const value = process.env.LUMA_EMULATOR_APIS;
	if (value === undefined || value === '') return 'both';
	if (!(API_FLAVOURS as readonly string[]).includes(value)) {
		throw new Error(`LUMA_EMULATOR_APIS must be one of ${API_FLAVOURS.join(', ')}, not "${value}"`);
	}
	return value as ApiFlavour;
}

export interface FaultRates {
	/** Each a probability in [0, 1] per request on the endpoints in `on`. */
	error5xx?: number;
	tooMany429?: number;
	reset?: number;
	hang?: number;
	malformed?: number;
	on?: Endpoint[];
	/** The endpoints where `hang` applies (default: all of `on`). */
	hangOn?: Endpoint[];
	/** Retry-After sent with injected and rate-limit 429s. */
	retryAfterMs?: number;
	retryAfterForm?: 'seconds' | 'date';
	/** On creates: the generation is made (and billed) before the fault hits. */
	afterAccept?: boolean;
}

/** A fault a test can script for the next request(s) to an endpoint. */
export type FaultKind =
	| '400' | '401' | '403' | '404' | '408' | '429' | '500' | '502' | '503' | '504'
	| 'reset' | 'hang' | 'malformed' | 'html' | 'empty' | 'no-id' | 'unknown-state'
	/** A 400 whose message quotes the request's Authorization header (a careless gateway). */
	| 'echo-auth'
	/** The same, as a 502 (a careless gateway in trouble). */
	| 'echo-auth-502'
	/** A 200 whose body is not JSON and quotes the request's Authorization header. */
	| 'echo-auth-text'
	/** A success that carries the request's Authorization header (use with afterAccept on creates). */
	| 'echo-auth-ok';
export interface ScriptedFault {
	kind: FaultKind;
	/** On creates: the generation is made (and billed) before the fault hits. */
	afterAccept?: boolean;
	/** On creates: only a create whose prompt contains this text meets the fault (others pass it by). */
	forPrompt?: string;
	/** Only requests to this API's endpoint meet the fault (unset: either API's). */
	api?: ApiName;
}

export interface EmulatorOptions {
	/** The APIs served (default: env `LUMA_EMULATOR_APIS`, else both); the others answer 404 "Cannot POST /path". */
	apis?: ApiFlavour;
	/**
	 * When a unified generation reports `meta.usage.credits_used` (its price, see `unifiedPrice`):
	 * once completed (default), in every answer including the create's, or never (`meta: null`).
	 */
	unifiedCredits?: 'completed' | 'always' | 'never';
	/** A generation answers on the API that did not create it too (default: 404 there, as unknown). */
	crossApiIds?: boolean;
	/**
	 * Generations not yet completed or failed allowed at once (seeded ones count: they are the
	 * account's too); a create beyond gets 429 "Too many running generations" (docs/API.md §7).
	 */
	runningLimit?: number;
	/** The emulator's own timers fire this much early (a loaded machine made certain); no answer may change. */
	timerSkewMs?: number;
	host?: string;
	port?: number;
	keys?: string[];
	/**
	 * Each key is its own account: a generation is known only to the key that created it (others
	 * get 404, as for an unknown id). The account limits stay shared. Default: one account for all keys.
	 */
	isolateAccounts?: boolean;
	/** Long-poll hold (API: 30 s). */
	holdMs?: number;
	/** Time in `queued`, then in `dreaming`, for each generation. */
	queuedMs?: number;
	dreamingMs?: number;
	shape?: Shape;
	waitParam?: WaitParam;
	manyShape?: 'array' | 'object';
	/** Fetch-many answers when any (or all) of its ids reached the target. */
	manyReturns?: 'any' | 'all';
	/** `refused` answers 404 on the fetch-many path. */
	manyEndpoint?: 'on' | 'refused';
	/** Probability that a long poll answers at once, ignoring the hold. */
	earlyReturnRate?: number;
	faults?: FaultRates;
	/** Accepted creates allowed per window; more get 429 with Retry-After. */
	createLimit?: { count: number; windowMs: number };
	/** Accepted creates before the account runs out of credits (403). */
	credits?: number;
	/** Origin of asset URLs (default: this server). */
	assetOrigin?: string;
	/** A path prefix the API is served under (a gateway behind a reverse proxy), e.g. `/luma`. */
	pathPrefix?: string;
	/** Share of generations that end `failed` with a real failure reason, at random. */
	failureRate?: number;
	/** Size of the video of a prompt marked `[large]`. */
	largeVideoBytes?: number;
	seed?: number;
}

export interface StoredGeneration {
	id: string;
	/** The API that created it; the other API does not know it unless `crossApiIds`. */
	api: ApiName;
	/** The bearer key that created it (its account). */
	account: string;
	request: CreateBody | UnifiedCreateBody;
	createdAt: number;
	dreamingAt: number;
	endAt: number;
	outcome: 'completed' | 'failed';
	failureReason: string | null;
	videoBytes: number;
	/** What it cost in tokens: the unified API's price, or the Luma endpoint's 500,000. */
	cost: number;
}

export interface LoggedRequest {
	at: number;
	/** The same names on both APIs: a unified create is `create` with `api: 'unified'`. */
	endpoint: Endpoint | 'other';
	/** The API whose route took the request (undefined for assets and unknown paths). */
	api: ApiName | undefined;
	method: string;
	url: string;
	status: number;
	/** When the answer was fully sent (unset for hung or reset requests). */
	doneAt?: number;
	authorization: string | undefined;
	body?: unknown;
	/**
	 * How a fetch was answered: at once (nothing to wait for, or no long poll), when the awaited
	 * state was reached, at the end of the hold, or at once by `earlyReturnRate`.
	 */
	hold?: 'at-once' | 'reached' | 'capped' | 'early';
}

interface CallbackPlan {
	url: string;
	/** States already posted: each is posted once, rendered as itself. */
	announced: Set<State>;
	timer?: NodeJS.Timeout;
	/** Posts go one after another, so the receiver sees them in order. */
	chain: Promise<void>;
}

/** Credits a US dollar buys on the gateway (its docs: 3,390 credits reported as $0.001695). */
export const USD_CREDITS = 2_000_000;

const FAILURE_MARKERS: Array<[string, string]> = [
	['[fail]', 'Contains blacklisted words'],
	['[fail-frames]', 'Failed to read user input frames'],
	['[fail-moderation]', 'Frame moderation failed'],
	['[fail-prompt]', 'Prompt processing failed'],
];

/** Small deterministic PRNG so a seeded fault storm is the same every run. */
function mulberry32(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

export class LumaEmulator {
	readonly options: Required<Omit<EmulatorOptions, 'assetOrigin' | 'createLimit' | 'credits' | 'pathPrefix' | 'runningLimit'>> &
		Pick<EmulatorOptions, 'assetOrigin' | 'createLimit' | 'credits' | 'pathPrefix' | 'runningLimit'>;

	readonly generations = new Map<string, StoredGeneration>();

	/** Every request, in order. */
	readonly log: LoggedRequest[] = [];

	/** Accepted (billed) creates of both APIs, by prompt. */
	readonly createsByPrompt = new Map<string, number>();

	/** Callbacks the emulator delivered: [url, state]. */
	readonly callbacks: Array<{ url: string; state: State; ok: boolean }> = [];

	/** 429s answered, by reason (for benchmarks); none of them was billed. */
	readonly tooManyRequests: Record<TooManyReason, number> = { createLimit: 0, runningLimit: 0, injected: 0 };

	private server?: http.Server;

	private readonly sockets = new Set<Socket>();

	private readonly timers = new Set<NodeJS.Timeout>();

	/** Long polls being held: each re-checks its generations when called. */
	private readonly holds = new Set<() => void>();

	private readonly callbackPlans = new Map<string, CallbackPlan>();

	private acceptedCreateTimes: number[] = [];

	private random: () => number;

	private readonly scripted = new Map<Endpoint, ScriptedFault[]>();

	private requestCounter = 0;

	private boundPort = 0;

	constructor(options: EmulatorOptions = {}) {
		this.options = {
			unifiedCredits: 'completed',
			crossApiIds: false,
			timerSkewMs: 0,
			host: '127.0.0.1',
			port: 0,
			keys: ['test-key'],
			isolateAccounts: false,
			holdMs: 30_000,
			queuedMs: 2_000,
			dreamingMs: 5_000,
			shape: 'upstream',
			waitParam: 'schema',
			manyShape: 'array',
			manyReturns: 'any',
			manyEndpoint: 'on',
			earlyReturnRate: 0,
			faults: {},
			largeVideoBytes: 200 * 1024 * 1024,
			failureRate: 0,
			seed: 1,
			...options,
			apis: options.apis ?? defaultApis(),
		};
		if (!API_FLAVOURS.includes(this.options.apis)) throw new Error(`apis must be one of ${API_FLAVOURS.join(', ')}`);
		this.random = mulberry32(this.options.seed);
	}

	get baseUrl(): string {
		return `http://${this.options.host}:${this.boundPort}`;
	}

	get assetOrigin(): string {
		return this.options.assetOrigin ?? this.baseUrl;
	}

	/** Whether this emulator serves `api` (its routes exist). */
	serves(api: ApiName): boolean {
		return this.options.apis === 'both' || this.options.apis === api;
	}

	/** Changes switches on a running emulator. */
	configure(options: Partial<EmulatorOptions>): void {
		Object.assign(this.options, options);
		if (options.seed !== undefined) this.random = mulberry32(options.seed);
	}

	async start(): Promise<this> {
		this.server = http.createServer((req, res) => {
			this.handle(req, res).catch((error) => {
				if (!res.headersSent) this.sendError(req, res, 500, String(error));
			});
		});
		this.server.on('connection', (socket) => {
			this.sockets.add(socket);
			socket.on('close', () => this.sockets.delete(socket));
		});
		await new Promise<void>((resolve, reject) => {
			this.server!.once('error', reject);
			this.server!.listen(this.boundPort || this.options.port, this.options.host, resolve);
		});
		this.boundPort = (this.server.address() as AddressInfo).port;
		// Callbacks not yet posted when the server stopped are posted now or when due.
		for (const id of this.callbackPlans.keys()) this.armCallbacks(this.generations.get(id)!);
		return this;
	}

	/** Stops serving: open connections are cut, generations are kept. */
	async stop(): Promise<void> {
		for (const timer of this.timers) clearTimeout(timer);
		this.timers.clear();
		this.holds.clear();
		for (const socket of this.sockets) socket.destroy();
		const server = this.server;
		this.server = undefined;
		if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
	}

	/** A restart on the same port, as after a crash: generations and their timelines survive. */
	async restart(downMs = 0): Promise<void> {
		await this.stop();
		if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
		await this.start();
	}

	/**
	 * The next requests to `endpoint` (of either API, or of the fault's `api`) meet these faults,
	 * in order, before the random ones apply.
	 */
	failNext(endpoint: Endpoint, ...faults: Array<FaultKind | ScriptedFault>): void {
		const queue = this.scripted.get(endpoint) ?? [];
		queue.push(...faults.map((fault) => (typeof fault === 'string' ? { kind: fault } : fault)));
		this.scripted.set(endpoint, queue);
	}

	resetCounters(): void {
		this.log.length = 0;
		this.createsByPrompt.clear();
		this.callbacks.length = 0;
		this.acceptedCreateTimes = [];
		for (const reason of Object.keys(this.tooManyRequests) as TooManyReason[]) this.tooManyRequests[reason] = 0;
	}

	/** Requests answered per endpoint, both APIs (hung and reset ones are logged with status 0). */
	count(endpoint: Endpoint, filter: (entry: LoggedRequest) => boolean = () => true): number {
		return this.log.filter((entry) => entry.endpoint === endpoint && filter(entry)).length;
	}

	/** Long polls being held right now (tests wait for a request to be held before moving a timeline). */
	get holding(): number {
		return this.holds.size;
	}

	/** Creates the server accepted (and billed), both APIs. */
	get acceptedCreates(): number {
		let total = 0;
		for (const count of this.createsByPrompt.values()) total += count;
		return total;
	}

	stateAt(generation: StoredGeneration, now = Date.now()): State {
		if (now >= generation.endAt) return generation.outcome;
		if (now >= generation.dreamingAt) return 'dreaming';
		return 'queued';
	}

	/** When a generation reached `target` or a later state (Infinity: not planned). */
	reachedAt(generation: StoredGeneration, target: State): number {
		const times = [generation.createdAt, generation.dreamingAt, generation.endAt, generation.endAt];
		if (target === 'failed') return generation.outcome === 'failed' ? generation.endAt : Infinity;
		return times[STATES.indexOf(target)];
	}

	/**
	 * Makes a generation directly, as if created earlier on `api` (not counted as a create
	 * request, not billed). Returns its id as that API shows it.
	 */
	seed(prompt: string, timeline: { queuedMs?: number; dreamingMs?: number } = {}, api: ApiName = 'luma'): string {
		const request: CreateBody | UnifiedCreateBody = api === 'luma' ? { prompt } : { model: 'luma/ray-2', prompt };
		const generation = this.makeGeneration(api, request, Date.now(), this.options.keys[0] ?? '');
		const queuedMs = timeline.queuedMs ?? this.options.queuedMs;
		generation.dreamingAt = generation.createdAt + queuedMs;
		generation.endAt = generation.dreamingAt + (timeline.dreamingMs ?? this.options.dreamingMs);
		return this.externalId(generation, api);
	}

	/** Sets a generation's outcome time from now (tests use it to finish or fail a job on cue). */
	finish(id: string, outcome: 'completed' | 'failed' = 'completed', inMs = 0, reason?: string): void {
		const generation = this.generations.get(this.lookupId(id));
		if (!generation) throw new Error(`unknown generation ${id}`);
		const now = Date.now();
		generation.dreamingAt = Math.min(generation.dreamingAt, now + inMs);
		generation.endAt = now + inMs;
		generation.outcome = outcome;
		generation.failureReason = outcome === 'failed' ? (reason ?? 'Prompt processing failed') : null;
		this.timelineMoved(generation);
	}

	/** Starts a generation dreaming from now (tests use it to see the in-between state on cue); its end is kept. */
	startDreaming(id: string, inMs = 0): void {
		const generation = this.generations.get(this.lookupId(id));
		if (!generation) throw new Error(`unknown generation ${id}`);
		generation.dreamingAt = Date.now() + inMs;
		generation.endAt = Math.max(generation.endAt, generation.dreamingAt);
		this.timelineMoved(generation);
	}

	/** Held long polls and pending callbacks look again at once. */
	private timelineMoved(generation: StoredGeneration): void {
		for (const check of [...this.holds]) check();
		this.armCallbacks(generation);
	}

	// ---- timers ----

	/** Wakes `fn` after about `ms` (early by `timerSkewMs`). Callers re-read the clock: never trust the timer. */
	private after(ms: number, fn: () => void): NodeJS.Timeout {
		const timer = setTimeout(() => {
			this.timers.delete(timer);
			fn();
		}, Math.max(1, ms - this.options.timerSkewMs));
		this.timers.add(timer);
		return timer;
	}

	private cancel(timer: NodeJS.Timeout | undefined): void {
		if (!timer) return;
		clearTimeout(timer);
		this.timers.delete(timer);
	}

	// ---- HTTP ----

	private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const url = new URL(req.url ?? '/', this.baseUrl);
		const prefix = this.options.pathPrefix ?? '';
		let pathname = url.pathname;
		if (prefix) pathname = pathname.startsWith(`${prefix}/`) ? pathname.slice(prefix.length) : pathname.startsWith('/assets/') ? pathname : '/unprefixed';
		const routed = this.route(req.method ?? 'GET', pathname);
		const api = routed.api;
		const endpoint = routed.endpoint === 'fetchOne' && url.searchParams.get('generation_id') === PROBE_ID ? 'probe' : routed.endpoint;
		const entry: LoggedRequest = {
			at: Date.now(),
			endpoint,
			api,
			method: req.method ?? 'GET',
			url: `${url.pathname}${url.search}`,
			status: 0,
			authorization: req.headers.authorization,
		};
		this.log.push(entry);
		res.on('finish', () => {
			entry.status = res.statusCode;
			entry.doneAt = Date.now();
		});

		const rawBody = await this.readBody(req);
		if (endpoint === 'create') {
			try {
				entry.body = JSON.parse(rawBody);
			} catch {
				entry.body = rawBody;
			}
		}

		// No such route (NestJS's words): clients tell this from an unknown generation by the message.
		if (endpoint === 'other') return this.sendError(req, res, 404, `Cannot ${req.method} ${url.pathname}`);
		if (endpoint === 'asset') return this.serveAsset(req, res, url, entry);

		if (!this.authorized(req)) return this.sendError(req, res, 401, 'Unauthorized: missing or invalid API key');

		const routeApi = api!;
		const scripted = this.takeScripted(endpoint, routeApi, entry.body);
		if (scripted && !scripted.afterAccept) return this.sendFault(scripted.kind, req, res, routeApi);
		if (!scripted && (endpoint !== 'create' || !this.options.faults.afterAccept)) {
			if (this.injectFault(endpoint, req, res)) return;
		}
		if (endpoint === 'create') return this.create(req, res, routeApi, entry.body, scripted);
		if (endpoint === 'fetchOne' || endpoint === 'probe') return this.fetchOne(req, res, url, routeApi, entry);
		return this.fetchMany(req, res, url, entry);
	}

	private takeScripted(endpoint: Endpoint, api: ApiName, body: unknown): ScriptedFault | undefined {
		const queue = this.scripted.get(endpoint) ?? [];
		const prompt = String((body as { prompt?: unknown } | undefined)?.prompt ?? '');
		const index = queue.findIndex(
			(fault) => (fault.api === undefined || fault.api === api) && (fault.forPrompt === undefined || prompt.includes(fault.forPrompt)),
		);
		return index < 0 ? undefined : queue.splice(index, 1)[0];
	}

	/** The endpoint and API of a request; the paths of an API this gateway does not serve do not exist. */
	private route(method: string, pathname: string): { endpoint: Endpoint | 'other'; api?: ApiName } {
		if (this.serves('luma')) {
			if (pathname === GENERATION_PATH && method === 'POST') return { endpoint: 'create', api: 'luma' };
			if (pathname === GENERATION_PATH && method === 'GET') return { endpoint: 'fetchOne', api: 'luma' };
			if (pathname === GENERATIONS_PATH && method === 'GET') return { endpoint: 'fetchMany', api: 'luma' };
		}
		if (this.serves('unified') && pathname === UNIFIED_PATH) {
			if (method === 'POST') return { endpoint: 'create', api: 'unified' };
			if (method === 'GET') return { endpoint: 'fetchOne', api: 'unified' };
		}
		if (pathname.startsWith('/assets/') && method === 'GET') return { endpoint: 'asset' };
		return { endpoint: 'other' };
	}

	private readBody(req: http.IncomingMessage): Promise<string> {
		return new Promise((resolve) => {
			const chunks: Buffer[] = [];
			req.on('data', (chunk: Buffer) => chunks.push(chunk));
			req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
			req.on('error', () => resolve(''));
		});
	}

	private authorized(req: http.IncomingMessage): boolean {
		const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
		return match !== null && this.options.keys.includes(match[1]);
	}

	private sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
		if (res.destroyed) return;
		const text = JSON.stringify(body);
		res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
		res.end(text);
	}

	/** The gateway's error shape: {message, path, requestId, statusCode, timestamp}. */
	private sendError(
		req: http.IncomingMessage,
		res: http.ServerResponse,
		status: number,
		message: string,
		headers: Record<string, string> = {},
	): void {
		this.sendJson(
			res,
			status,
			{
				message,
				path: new URL(req.url ?? '/', this.baseUrl).pathname,
				requestId: `req-${++this.requestCounter}`,
				statusCode: status,
				timestamp: new Date().toISOString(),
			},
			headers,
		);
	}

	/** A 429 with Retry-After, counted by reason. */
	private sendTooMany(req: http.IncomingMessage, res: http.ServerResponse, reason: TooManyReason, message: string, waitMs: number): void {
		this.tooManyRequests[reason]++;
		this.sendError(req, res, 429, message, this.retryAfterHeader(waitMs));
	}

	private retryAfterHeader(ms: number): Record<string, string> {
		if (this.options.faults.retryAfterForm === 'date') {
			return { 'Retry-After': new Date(Date.now() + Math.max(ms, 1000)).toUTCString() };
		}
		return { 'Retry-After': String(Math.round(ms) / 1000) };
	}

	/** Returns true when a fault took the request. */
	private injectFault(endpoint: Endpoint, req: http.IncomingMessage, res: http.ServerResponse): boolean {
		const faults = this.options.faults;
		const on = faults.on ?? ['create', 'fetchOne', 'fetchMany'];
		if (!on.includes(endpoint)) return false;
		const roll = this.random();
		let edge = 0;
		if (roll < (edge += faults.error5xx ?? 0)) {
			const status = [500, 502, 503][Math.floor(this.random() * 3)];
			this.sendError(req, res, status, 'Upstream service unavailable');
			return true;
		}
		if (roll < (edge += faults.tooMany429 ?? 0)) {
			this.sendTooMany(req, res, 'injected', 'Too many requests', faults.retryAfterMs ?? 1000);
			return true;
		}
		if (roll < (edge += faults.reset ?? 0)) {
			req.socket.destroy();
			return true;
		}
		if (roll < (edge += faults.hang ?? 0)) {
			// Never answered: the client's timeout or a restart ends it. Elsewhere than `hangOn`, answered as usual.
			return !faults.hangOn || faults.hangOn.includes(endpoint);
		}
		if (roll < (edge += faults.malformed ?? 0)) {
			res.writeHead(200, { 'Content-Type': 'application/json' });
			res.end('{"id": "broken", "state": ');
			return true;
		}
		return false;
	}

	/** Answers with one scripted fault, in the shape of `api` where it has one. */
	private sendFault(
		kind: FaultKind,
		req: http.IncomingMessage,
		res: http.ServerResponse,
		api: ApiName | undefined,
		generation?: StoredGeneration,
	): void {
		const stateKey = api === 'unified' ? 'status' : 'state';
		switch (kind) {
			case 'reset':
				req.socket.destroy();
				return;
			case 'hang':
				return;
			case 'malformed':
				res.writeHead(200, { 'Content-Type': 'application/json' });
				res.end(`{"id": "broken", "${stateKey}": `);
				return;
			case 'html':
				res.writeHead(502, { 'Content-Type': 'text/html' });
				res.end('<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>');
				return;
			case 'empty':
				res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': 0 });
				res.end();
				return;
			case 'no-id':
				this.sendJson(res, 200, { [stateKey]: 'queued', created_at: new Date().toISOString() });
				return;
			case 'unknown-state': {
				const body = generation ? this.render(generation, Date.now(), api) : { id: randomUUID(), created_at: new Date().toISOString() };
				this.sendJson(res, 200, { ...body, [stateKey]: 'exploded' });
				return;
			}
			case 'echo-auth':
				this.sendError(req, res, 400, `Bad request with header ${req.headers.authorization ?? ''}`);
				return;
			case 'echo-auth-502':
				this.sendError(req, res, 502, `Upstream refused the header ${req.headers.authorization ?? ''}`);
				return;
			case 'echo-auth-text':
				res.writeHead(200, { 'Content-Type': 'text/plain' });
				res.end(`debug: authorization=${req.headers.authorization ?? ''}`);
				return;
			case 'echo-auth-ok': {
				const body = generation
					? this.render(generation, Date.now(), api)
					: { id: randomUUID(), [stateKey]: 'queued', created_at: new Date().toISOString() };
				this.sendJson(res, generation ? 201 : 200, { ...body, debug: { authorization: req.headers.authorization ?? '' } });
				return;
			}
			case '429':
				this.sendTooMany(req, res, 'injected', 'Too many requests', this.options.faults.retryAfterMs ?? 1000);
				return;
			default:
				this.sendError(req, res, Number(kind), kind === '403' ? 'Insufficient credits' : `Injected ${kind}`);
		}
	}

	// ---- create ----

	private create(req: http.IncomingMessage, res: http.ServerResponse, api: ApiName, body: unknown, after?: ScriptedFault): void {
		const problem = api === 'luma' ? validateCreate(body) : validateUnifiedCreate(body);
		if (problem) return this.sendError(req, res, 400, problem);
		const request = body as CreateBody | UnifiedCreateBody;

		const keyframes = (request as { keyframes?: CreateBody['keyframes'] }).keyframes;
		for (const frame of [keyframes?.frame0, keyframes?.frame1]) {
			if (frame?.type !== 'generation') continue;
			const source = this.find(frame.id!, api, req);
			if (!source) return this.sendError(req, res, 400, `Generation ${frame.id} not found`);
			if (this.stateAt(source) !== 'completed') {
				return this.sendError(req, res, 400, `Generation ${frame.id} is not completed: only completed generations can be extended`);
			}
		}

		// The account's limits (docs/API.md §7), shared by both APIs; a refused create is never billed.
		const now = Date.now();
		const limit = this.options.createLimit;
		if (limit) {
			this.acceptedCreateTimes = this.acceptedCreateTimes.filter((t) => t > now - limit.windowMs);
			if (this.acceptedCreateTimes.length >= limit.count) {
				const wait = this.acceptedCreateTimes[0] + limit.windowMs - now;
				return this.sendTooMany(req, res, 'createLimit', 'Rate limit exceeded: too many create requests', wait);
			}
		}
		if (this.options.runningLimit !== undefined) {
			const running = [...this.generations.values()].filter((g) => now < g.endAt);
			if (running.length >= this.options.runningLimit) {
				const wait = Math.min(...running.map((g) => g.endAt)) - now;
				return this.sendTooMany(req, res, 'runningLimit', 'Too many running generations', wait);
			}
		}
		if (this.options.credits !== undefined && this.acceptedCreates >= this.options.credits) {
			return this.sendError(req, res, 403, 'Insufficient credits: top up your balance');
		}

		const generation = this.makeGeneration(api, request, now, this.keyOf(req));
		this.acceptedCreateTimes.push(now);
		this.createsByPrompt.set(request.prompt, (this.createsByPrompt.get(request.prompt) ?? 0) + 1);
		const callbackUrl = (request as CreateBody).callback_url;
		if (api === 'luma' && callbackUrl) this.planCallbacks(generation, callbackUrl);

		if (after) return this.sendFault(after.kind, req, res, api, generation);
		if (this.options.faults.afterAccept && this.injectFault('create', req, res)) return;
		this.sendJson(res, 201, this.render(generation, now, api));
	}

	private makeGeneration(api: ApiName, request: CreateBody | UnifiedCreateBody, now: number, account: string): StoredGeneration {
		const prompt = request.prompt;
		const slow = prompt.includes('[slow]') ? 1000 : 1;
		const marker = FAILURE_MARKERS.find(([mark]) => prompt.includes(mark));
		const keyframes = (request as { keyframes?: CreateBody['keyframes'] }).keyframes;
		const frames = [keyframes?.frame0, keyframes?.frame1].filter(Boolean) as Keyframe[];
		const urls = frames.filter((frame) => frame.type === 'image').map((frame) => frame.url!);
		if (api === 'unified') {
			const { image_url, last_image_url, video_url } = request as UnifiedCreateBody;
			urls.push(...([image_url, last_image_url, video_url].filter(Boolean) as string[]));
		}
		const unreadable = urls.some((url) => url.includes('unreadable'));
		const unlucky = this.options.failureRate > 0 && this.random() < this.options.failureRate;
		const failureReason = marker
			? marker[1]
			: unreadable
				? 'Failed to read user input frames'
				: unlucky
					? FAILURE_MARKERS[Math.floor(this.random() * FAILURE_MARKERS.length)][1]
					: null;
		const generation: StoredGeneration = {
			id: randomUUID(),
			api,
			account,
			request,
			createdAt: now,
			dreamingAt: now + this.options.queuedMs * slow,
			endAt: now + (this.options.queuedMs + this.options.dreamingMs) * slow,
			outcome: failureReason ? 'failed' : 'completed',
			failureReason,
			videoBytes: prompt.includes('[large]') ? this.options.largeVideoBytes : SAMPLE_MP4.length,
			cost: api === 'unified' ? unifiedPrice(request as UnifiedCreateBody) : LUMA_PRICE,
		};
		this.generations.set(generation.id, generation);
		return generation;
	}

	// ---- callbacks ----

	private planCallbacks(generation: StoredGeneration, url: string): void {
		const host = new URL(url).hostname;
		if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) return; // never call out
		this.callbackPlans.set(generation.id, { url, announced: new Set(), chain: Promise.resolve() });
		this.armCallbacks(generation);
	}

	/**
	 * Posts every state the generation has really reached (by the clock) and not yet announced,
	 * each rendered as that state, then sleeps until the next one. A timer that fires early only
	 * finds nothing to post and sleeps again (issue 17).
	 */
	private armCallbacks(generation: StoredGeneration): void {
		const plan = this.callbackPlans.get(generation.id);
		if (!plan || !this.server) return;
		this.cancel(plan.timer);
		plan.timer = undefined;
		const now = Date.now();
		let next = Infinity;
		for (const [state, at] of [
			['dreaming', generation.dreamingAt],
			[generation.outcome, generation.endAt],
		] as Array<[State, number]>) {
			if (plan.announced.has(state)) continue;
			if (at <= now) {
				plan.announced.add(state);
				this.postCallback(plan, state, JSON.stringify(this.renderState(generation, state, 'luma')));
			} else {
				next = Math.min(next, at);
			}
		}
		if (next < Infinity) plan.timer = this.after(next - now, () => this.armCallbacks(generation));
		else if (plan.announced.has(generation.outcome)) this.callbackPlans.delete(generation.id);
	}

	private postCallback(plan: CallbackPlan, state: State, text: string): void {
		const { url } = plan;
		plan.chain = plan.chain.then(
			() =>
				new Promise<void>((resolve) => {
					const done = (ok: boolean) => {
						this.callbacks.push({ url, state, ok });
						resolve();
					};
					const req = http.request(url, { method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
						res.resume();
						done((res.statusCode ?? 500) < 300);
					});
					req.setTimeout(10_000, () => req.destroy());
					req.on('error', () => done(false));
					req.end(text);
				}),
		);
	}

	// ---- render ----

	/** The model's name in the Luma endpoint's vocabulary (`ray-2`), whichever API made the generation. */
	private lumaModel(generation: StoredGeneration): string {
		return (generation.request.model ?? 'ray-2').replace(/^luma\//, '');
	}

	private externalId(generation: StoredGeneration, api: ApiName = generation.api): string {
		return api === 'luma' && this.options.shape === 'suffixed-id' ? `${generation.id}:luma/${this.lumaModel(generation)}` : generation.id;
	}

	private lookupId(id: string): string {
		return id.split(':')[0];
	}

	/** A generation as `api` knows it: one it created, or any with `crossApiIds`; with `isolateAccounts`, only the creating key's. */
	private find(id: string, api: ApiName, req: http.IncomingMessage): StoredGeneration | undefined {
		const generation = this.generations.get(this.lookupId(id));
		if (this.options.isolateAccounts && generation && generation.account !== this.keyOf(req)) return undefined;
		return generation && (generation.api === api || this.options.crossApiIds) ? generation : undefined;
	}

	/** The bearer key of a request ('' when none). */
	private keyOf(req: http.IncomingMessage): string {
		return /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
	}

	/** The generation as `api` (default: the one that made it) shows it at time `now`. */
	render(generation: StoredGeneration, now = Date.now(), api: ApiName = generation.api): Record<string, unknown> {
		return this.renderState(generation, this.stateAt(generation, now), api);
	}

	/** The generation in `state`, whatever the clock says (callbacks announce a state, not a time). */
	renderState(generation: StoredGeneration, state: State, api: ApiName = generation.api): Record<string, unknown> {
		return api === 'unified' ? this.renderUnified(generation, state) : this.renderLuma(generation, state);
	}

	/** The object of docs/API.md §5.3. */
	private renderUnified(generation: StoredGeneration, state: State): Record<string, unknown> {
		const credits = this.options.unifiedCredits;
		const reported = credits === 'always' || (credits === 'completed' && state === 'completed');
		return {
			id: generation.id,
			status: UNIFIED_STATUS[state],
			video: state === 'completed' ? { url: `${this.assetOrigin}/assets/${generation.id}.mp4` } : null,
			error: state === 'failed' ? { name: 'GenerationError', message: generation.failureReason } : null,
			// Ray 3.2 also reports its cost in dollars (2,000,000 credits a dollar, as the gateway's docs show).
			meta: reported
				? { usage: { credits_used: generation.cost, ...(this.lumaModel(generation) === 'ray-3.2' ? { usd_spent: generation.cost / USD_CREDITS } : {}) } }
				: null,
			model: `luma/${this.lumaModel(generation)}`,
			created_at: new Date(generation.createdAt).toISOString(),
		};
	}

	/** The object of docs/API.md §5.2, in the shape the `shape` switch picks. */
	private renderLuma(generation: StoredGeneration, state: State): Record<string, unknown> {
		const done = state === 'completed';
		const video = done ? `${this.assetOrigin}/assets/${generation.id}.mp4` : null;
		const image = done ? `${this.assetOrigin}/assets/${generation.id}.jpg` : null;
		const failureReason = state === 'failed' ? generation.failureReason : null;
		const base = {
			id: this.externalId(generation, 'luma'),
			generation_type: 'video',
			created_at: new Date(generation.createdAt).toISOString(),
			model: this.lumaModel(generation),
			request: generation.request,
		};
		switch (this.options.shape) {
			case 'status-field':
				return {
					...base,
					status: state === 'dreaming' ? 'generating' : state === 'failed' ? 'error' : state,
					error: failureReason,
					video_url: video,
				};
			case 'video-object':
				return { ...base, state, failure_reason: failureReason, video: video ? { url: video } : null };
			case 'video-url':
				return { ...base, state, failure_reason: failureReason, video_url: video, thumbnail_url: image };
			default:
				return {
					...base,
					state,
					failure_reason: failureReason,
					assets: done ? { video, image, progress_video: null } : null,
				};
		}
	}

	// ---- fetch ----

	private waitTarget(
		req: http.IncomingMessage,
		res: http.ServerResponse,
		url: URL,
		schemaName: 'state' | 'status',
	): State | undefined | false {
		const mode = this.options.waitParam;
		const names = mode === 'none' ? [] : mode === 'both' ? ['state', 'status'] : mode === 'schema' ? [schemaName] : [mode];
		const value = names.map((name) => url.searchParams.get(name)).find((v) => v !== null && v !== '');
		if (value === undefined || value === null) return undefined;
		if (value === 'failed') {
			this.sendError(req, res, 400, 'Waiting for the failed state is not allowed');
			return false;
		}
		if (!(STATES as readonly string[]).includes(value)) {
			this.sendError(req, res, 400, `Invalid enum value. Expected 'queued' | 'dreaming' | 'completed', received '${value}'`);
			return false;
		}
		return value as State;
	}

	/**
	 * Holds the answer until the generations reached `target` (or the hold ends), then sends it.
	 * The timer only wakes the check, which reads the clock: an early timer just sleeps again, and
	 * a `finish()` that moves a timeline checks at once.
	 */
	private hold(
		res: http.ServerResponse,
		entry: LoggedRequest,
		generations: StoredGeneration[],
		target: State | undefined,
		mode: 'any' | 'all',
		answer: () => unknown,
	): void {
		const readyAt = (): number => {
			if (!target) return -Infinity;
			const times = generations.map((g) => this.reachedAt(g, target));
			return mode === 'any' ? Math.min(...times) : Math.max(...times);
		};
		const arrived = Date.now();
		if (readyAt() <= arrived) {
			entry.hold = 'at-once';
			return this.sendJson(res, 200, answer());
		}
		if (this.random() < this.options.earlyReturnRate) {
			entry.hold = 'early';
			return this.sendJson(res, 200, answer());
		}
		const capAt = arrived + this.options.holdMs;
		let timer: NodeJS.Timeout | undefined;
		const check = (): void => {
			this.cancel(timer);
			const now = Date.now();
			const ready = readyAt();
			if (ready > now && capAt > now) {
				timer = this.after(Math.min(ready, capAt) - now, check);
				return;
			}
			this.holds.delete(check);
			entry.hold = ready <= now ? 'reached' : 'capped';
			this.sendJson(res, 200, answer());
		};
		this.holds.add(check);
		res.on('close', () => {
			this.cancel(timer);
			this.holds.delete(check);
		});
		check();
	}

	private fetchOne(req: http.IncomingMessage, res: http.ServerResponse, url: URL, api: ApiName, entry: LoggedRequest): void {
		const id = url.searchParams.get('generation_id');
		if (api === 'unified') {
			// One id, answered at once: no long poll, any state/status parameter is ignored (docs/API.md §4.2).
			if (!id) return this.sendError(req, res, 400, 'Required at "generation_id"');
			const generation = this.find(id, 'unified', req);
			if (!generation) return this.sendError(req, res, 404, `Generation ${id} not found`);
			entry.hold = 'at-once';
			return this.sendJson(res, 200, this.render(generation, Date.now(), 'unified'));
		}
		const generation = id ? this.find(id, 'luma', req) : undefined;
		if (!generation) return this.sendError(req, res, 404, `Generation ${id ?? ''} not found`);
		const target = this.waitTarget(req, res, url, 'state');
		if (target === false) return;
		this.hold(res, entry, [generation], target, 'all', () => this.render(generation, Date.now(), 'luma'));
	}

	private fetchMany(req: http.IncomingMessage, res: http.ServerResponse, url: URL, entry: LoggedRequest): void {
		if (this.options.manyEndpoint === 'refused') return this.sendError(req, res, 404, `Cannot GET ${GENERATIONS_PATH}`);
		const ids = [...url.searchParams.getAll('generation_ids[]'), ...url.searchParams.getAll('generation_ids')]
			.flatMap((value) => value.split(','))
			.map((value) => value.trim())
			.filter(Boolean);
		if (ids.length === 0) return this.sendError(req, res, 400, 'Required at "generation_ids"');
		const generations: StoredGeneration[] = [];
		for (const id of ids) {
			const generation = this.find(id, 'luma', req);
			if (!generation) return this.sendError(req, res, 404, `Generation ${id} not found`);
			generations.push(generation);
		}
		const target = this.waitTarget(req, res, url, 'status');
		if (target === false) return;
		this.hold(res, entry, generations, target, this.options.manyReturns, () => {
			const list = generations.map((g) => this.render(g, Date.now(), 'luma'));
			return this.options.manyShape === 'object' ? { generations: list } : list;
		});
	}

	// ---- assets ----

	private serveAsset(req: http.IncomingMessage, res: http.ServerResponse, url: URL, entry: LoggedRequest): void {
		const match = /^\/assets\/([0-9a-f-]{36})\.(mp4|jpg)$/.exec(url.pathname);
		const generation = match ? this.generations.get(match[1]) : undefined;
		if (!generation || this.stateAt(generation) !== 'completed') {
			return this.sendError(req, res, 404, 'Asset not found');
		}
		const scripted = this.scripted.get('asset')?.shift();
		if (scripted) return this.sendFault(scripted.kind, req, res, undefined);
		if (this.injectFault('asset', req, res)) return;
		entry.status = 200;
		if (match![2] === 'jpg') {
			res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': 4 });
			res.end(Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
			return;
		}
		res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': generation.videoBytes });
		if (generation.videoBytes <= SAMPLE_MP4.length) {
			res.end(SAMPLE_MP4);
			return;
		}
		streamLargeVideo(res, generation.videoBytes);
	}
}

/**
 * A valid MP4 of any size, streamed without holding it: the sample, then one `free` box
 * (which players skip) filling the rest. Sizes over 4 GiB are not needed here.
 */
function streamLargeVideo(res: http.ServerResponse, totalBytes: number): void {
	const padding = totalBytes - SAMPLE_MP4.length;
	const boxHeader = Buffer.alloc(8);
	boxHeader.writeUInt32BE(padding, 0);
	boxHeader.write('free', 4, 'ascii');
	res.write(SAMPLE_MP4);
	res.write(boxHeader);
	const chunk = Buffer.alloc(1024 * 1024);
	let left = padding - 8;
	const pump = (): void => {
		while (left > 0) {
			const size = Math.min(left, chunk.length);
			left -= size;
			if (!res.write(size === chunk.length ? chunk : chunk.subarray(0, size))) {
				res.once('drain', pump);
				return;
			}
		}
		res.end();
	};
	pump();
}
