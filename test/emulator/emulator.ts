/**
 * A local server of the whole API contract (../shared/API.md), every unknown a switch.
 * Used in-process by tests and benchmarks, and as a process by `npm run emulator`.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';

import type { CreateBody, Keyframe } from './validate';
import { validateCreate } from './validate';

export const GENERATION_PATH = '/v2/generate/video/luma-ai/generation';
export const GENERATIONS_PATH = '/v2/generate/video/luma-ai/generations';
export const SAMPLE_MP4 = readFileSync(path.join(__dirname, 'sample.mp4'));
export const STATES = ['queued', 'dreaming', 'completed', 'failed'] as const;
export type State = (typeof STATES)[number];

/** The generation shapes of API.md section 4. */
export type Shape = 'upstream' | 'status-field' | 'video-object' | 'video-url' | 'suffixed-id';
/** Which wait parameter the server honours: `schema` is `state` for one, `status` for many. */
export type WaitParam = 'schema' | 'state' | 'status' | 'both' | 'none';
export type Endpoint = 'create' | 'fetchOne' | 'fetchMany' | 'asset';

export interface FaultRates {
	/** Each a probability in [0, 1] per request on the endpoints in `on`. */
	error5xx?: number;
	tooMany429?: number;
	reset?: number;
	hang?: number;
	malformed?: number;
	on?: Endpoint[];
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
	/** A success that carries the request's Authorization header (use with afterAccept on creates). */
	| 'echo-auth-ok';
export interface ScriptedFault {
	kind: FaultKind;
	/** On creates: the generation is made (and billed) before the fault hits. */
	afterAccept?: boolean;
	/** On creates: only a create whose prompt contains this text meets the fault (others pass it by). */
	forPrompt?: string;
}

export interface EmulatorOptions {
	host?: string;
	port?: number;
	keys?: string[];
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
	request: CreateBody;
	createdAt: number;
	dreamingAt: number;
	endAt: number;
	outcome: 'completed' | 'failed';
	failureReason: string | null;
	videoBytes: number;
}

export interface LoggedRequest {
	at: number;
	endpoint: Endpoint | 'other';
	method: string;
	url: string;
	status: number;
	/** When the answer was fully sent (unset for hung or reset requests). */
	doneAt?: number;
	authorization: string | undefined;
	body?: unknown;
}

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
	readonly options: Required<Omit<EmulatorOptions, 'assetOrigin' | 'createLimit' | 'credits' | 'pathPrefix'>> &
		Pick<EmulatorOptions, 'assetOrigin' | 'createLimit' | 'credits' | 'pathPrefix'>;

	readonly generations = new Map<string, StoredGeneration>();

	/** Every request, in order. */
	readonly log: LoggedRequest[] = [];

	/** Accepted (billed) creates, by prompt. */
	readonly createsByPrompt = new Map<string, number>();

	/** Callbacks the emulator delivered: [url, state]. */
	readonly callbacks: Array<{ url: string; state: State; ok: boolean }> = [];

	private server?: http.Server;

	private readonly sockets = new Set<Socket>();

	private readonly timers = new Set<NodeJS.Timeout>();

	private acceptedCreateTimes: number[] = [];

	private random: () => number;

	private readonly scripted = new Map<Endpoint, ScriptedFault[]>();

	private requestCounter = 0;

	private boundPort = 0;

	constructor(options: EmulatorOptions = {}) {
		this.options = {
			host: '127.0.0.1',
			port: 0,
			keys: ['test-key'],
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
		};
		this.random = mulberry32(this.options.seed);
	}

	get baseUrl(): string {
		return `http://${this.options.host}:${this.boundPort}`;
	}

	get assetOrigin(): string {
		return this.options.assetOrigin ?? this.baseUrl;
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
		return this;
	}

	/** Stops serving: open connections are cut, generations are kept. */
	async stop(): Promise<void> {
		for (const timer of this.timers) clearTimeout(timer);
		this.timers.clear();
		for (const socket of this.sockets) socket.destroy();
		if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
		this.server = undefined;
	}

	/** A restart on the same port, as after a crash: generations and their timelines survive. */
	async restart(downMs = 0): Promise<void> {
		await this.stop();
		if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
		await this.start();
	}

	/** The next requests to `endpoint` meet these faults, in order, before the random ones apply. */
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
	}

	/** Requests answered per endpoint (hung and reset ones are logged with status 0). */
	count(endpoint: Endpoint, filter: (entry: LoggedRequest) => boolean = () => true): number {
		return this.log.filter((entry) => entry.endpoint === endpoint && filter(entry)).length;
	}

	/** Creates the server accepted (and billed). */
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

	/** Makes a generation directly, as if created earlier (not counted as a create request). */
	seed(prompt: string, timeline: { queuedMs?: number; dreamingMs?: number } = {}): string {
		const generation = this.makeGeneration({ prompt }, Date.now());
		const queuedMs = timeline.queuedMs ?? this.options.queuedMs;
		generation.dreamingAt = generation.createdAt + queuedMs;
		generation.endAt = generation.dreamingAt + (timeline.dreamingMs ?? this.options.dreamingMs);
		return this.externalId(generation);
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
	}

	// ---- HTTP ----

	private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const url = new URL(req.url ?? '/', this.baseUrl);
		const prefix = this.options.pathPrefix ?? '';
		let pathname = url.pathname;
		if (prefix) pathname = pathname.startsWith(`${prefix}/`) ? pathname.slice(prefix.length) : pathname.startsWith('/assets/') ? pathname : '/unprefixed';
		const endpoint = this.endpointOf(req.method ?? 'GET', pathname);
		const entry: LoggedRequest = {
			at: Date.now(),
			endpoint,
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

		if (endpoint === 'other') return this.sendError(req, res, 404, `Cannot ${req.method} ${url.pathname}`);
		if (endpoint === 'asset') return this.serveAsset(req, res, url, entry);

		if (!this.authorized(req)) return this.sendError(req, res, 401, 'Unauthorized: missing or invalid API key');

		const scripted = this.takeScripted(endpoint, entry.body);
		if (scripted && !scripted.afterAccept) return this.sendFault(scripted.kind, req, res);
		if (!scripted && (endpoint !== 'create' || !this.options.faults.afterAccept)) {
			if (this.injectFault(endpoint, req, res)) return;
		}
		if (endpoint === 'create') return this.create(req, res, entry.body, scripted);
		if (endpoint === 'fetchOne') return this.fetchOne(req, res, url);
		return this.fetchMany(req, res, url);
	}

	private takeScripted(endpoint: Endpoint, body: unknown): ScriptedFault | undefined {
		const queue = this.scripted.get(endpoint) ?? [];
		const prompt = String((body as { prompt?: unknown } | undefined)?.prompt ?? '');
		const index = queue.findIndex((fault) => fault.forPrompt === undefined || prompt.includes(fault.forPrompt));
		return index < 0 ? undefined : queue.splice(index, 1)[0];
	}

	private endpointOf(method: string, pathname: string): Endpoint | 'other' {
		if (pathname === GENERATION_PATH) return method === 'POST' ? 'create' : method === 'GET' ? 'fetchOne' : 'other';
		if (pathname === GENERATIONS_PATH && method === 'GET') return 'fetchMany';
		if (pathname.startsWith('/assets/') && method === 'GET') return 'asset';
		return 'other';
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
			this.sendError(req, res, 429, 'Too many requests', this.retryAfterHeader(faults.retryAfterMs ?? 1000));
			return true;
		}
		if (roll < (edge += faults.reset ?? 0)) {
			req.socket.destroy();
			return true;
		}
		if (roll < (edge += faults.hang ?? 0)) {
			return true; // never answered: the client's timeout or a restart ends it
		}
		if (roll < (edge += faults.malformed ?? 0)) {
			res.writeHead(200, { 'Content-Type': 'application/json' });
			res.end('{"id": "broken", "state": ');
			return true;
		}
		return false;
	}

	/** Answers with one scripted fault. */
	private sendFault(kind: FaultKind, req: http.IncomingMessage, res: http.ServerResponse, generation?: StoredGeneration): void {
		switch (kind) {
			case 'reset':
				req.socket.destroy();
				return;
			case 'hang':
				return;
			case 'malformed':
				res.writeHead(200, { 'Content-Type': 'application/json' });
				res.end('{"id": "broken", "state": ');
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
				this.sendJson(res, 200, { state: 'queued', created_at: new Date().toISOString() });
				return;
			case 'unknown-state': {
				const body = generation ? this.render(generation) : { id: randomUUID(), created_at: new Date().toISOString() };
				this.sendJson(res, 200, { ...body, state: 'exploded' });
				return;
			}
			case 'echo-auth':
				this.sendError(req, res, 400, `Bad request with header ${req.headers.authorization ?? ''}`);
				return;
			case 'echo-auth-ok': {
				const body = generation ? this.render(generation) : { id: randomUUID(), state: 'queued', created_at: new Date().toISOString() };
				this.sendJson(res, generation ? 201 : 200, { ...body, debug: { authorization: req.headers.authorization ?? '' } });
				return;
			}
			case '429':
				this.sendError(req, res, 429, 'Too many requests', this.retryAfterHeader(this.options.faults.retryAfterMs ?? 1000));
				return;
			default:
				this.sendError(req, res, Number(kind), kind === '403' ? 'Insufficient credits' : `Injected ${kind}`);
		}
	}

	// ---- create ----

	private create(req: http.IncomingMessage, res: http.ServerResponse, body: unknown, after?: ScriptedFault): void {
		const problem = validateCreate(body);
		if (problem) return this.sendError(req, res, 400, problem);
		const request = body as CreateBody;

		for (const frame of [request.keyframes?.frame0, request.keyframes?.frame1]) {
			if (frame?.type !== 'generation') continue;
			const source = this.generations.get(frame.id!);
			if (!source) return this.sendError(req, res, 400, `Generation ${frame.id} not found`);
			if (this.stateAt(source) !== 'completed') {
				return this.sendError(req, res, 400, `Generation ${frame.id} is not completed: only completed generations can be extended`);
			}
		}

		const now = Date.now();
		const limit = this.options.createLimit;
		if (limit) {
			this.acceptedCreateTimes = this.acceptedCreateTimes.filter((t) => t > now - limit.windowMs);
			if (this.acceptedCreateTimes.length >= limit.count) {
				const wait = this.acceptedCreateTimes[0] + limit.windowMs - now;
				return this.sendError(req, res, 429, 'Rate limit exceeded: too many create requests', this.retryAfterHeader(wait));
			}
		}
		if (this.options.credits !== undefined && this.acceptedCreates >= this.options.credits) {
			return this.sendError(req, res, 403, 'Insufficient credits: top up your balance');
		}

		const generation = this.makeGeneration(request, now);
		this.acceptedCreateTimes.push(now);
		this.createsByPrompt.set(request.prompt, (this.createsByPrompt.get(request.prompt) ?? 0) + 1);
		if (request.callback_url) this.scheduleCallbacks(generation);

		if (after) return this.sendFault(after.kind, req, res, generation);
		if (this.options.faults.afterAccept && this.injectFault('create', req, res)) return;
		this.sendJson(res, 201, this.render(generation));
	}

	private makeGeneration(request: CreateBody, now: number): StoredGeneration {
		const prompt = request.prompt;
		const slow = prompt.includes('[slow]') ? 1000 : 1;
		const marker = FAILURE_MARKERS.find(([mark]) => prompt.includes(mark));
		const frames = [request.keyframes?.frame0, request.keyframes?.frame1].filter(Boolean) as Keyframe[];
		const unreadable = frames.some((frame) => frame.type === 'image' && frame.url!.includes('unreadable'));
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
			request,
			createdAt: now,
			dreamingAt: now + this.options.queuedMs * slow,
			endAt: now + (this.options.queuedMs + this.options.dreamingMs) * slow,
			outcome: failureReason ? 'failed' : 'completed',
			failureReason,
			videoBytes: prompt.includes('[large]') ? this.options.largeVideoBytes : SAMPLE_MP4.length,
		};
		this.generations.set(generation.id, generation);
		return generation;
	}

	private scheduleCallbacks(generation: StoredGeneration): void {
		const url = generation.request.callback_url!;
		const host = new URL(url).hostname;
		if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) return; // never call out
		const fire = (state: State) => {
			const text = JSON.stringify(this.render(generation));
			const req = http.request(url, { method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
				res.resume();
				this.callbacks.push({ url, state, ok: (res.statusCode ?? 500) < 300 });
			});
			req.on('error', () => this.callbacks.push({ url, state, ok: false }));
			req.end(text);
		};
		for (const [state, at] of [
			['dreaming', generation.dreamingAt],
			[generation.outcome, generation.endAt],
		] as Array<[State, number]>) {
			const timer = setTimeout(() => {
				this.timers.delete(timer);
				fire(state);
			}, Math.max(0, at - Date.now()));
			this.timers.add(timer);
		}
	}

	// ---- render ----

	private externalId(generation: StoredGeneration): string {
		return this.options.shape === 'suffixed-id' ? `${generation.id}:luma/${generation.request.model ?? 'ray-2'}` : generation.id;
	}

	private lookupId(id: string): string {
		return id.split(':')[0];
	}

	render(generation: StoredGeneration, now = Date.now()): Record<string, unknown> {
		const state = this.stateAt(generation, now);
		const done = state === 'completed';
		const video = done ? `${this.assetOrigin}/assets/${generation.id}.mp4` : null;
		const image = done ? `${this.assetOrigin}/assets/${generation.id}.jpg` : null;
		const failureReason = state === 'failed' ? generation.failureReason : null;
		const base = {
			id: this.externalId(generation),
			generation_type: 'video',
			created_at: new Date(generation.createdAt).toISOString(),
			model: generation.request.model ?? 'ray-2',
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

	/** Holds the answer until the generations reached `target` (or the hold ends), then sends it. */
	private hold(
		req: http.IncomingMessage,
		res: http.ServerResponse,
		generations: StoredGeneration[],
		target: State | undefined,
		mode: 'any' | 'all',
		answer: () => unknown,
	): void {
		const now = Date.now();
		let readyAt = now;
		if (target) {
			const times = generations.map((g) => this.reachedAt(g, target));
			readyAt = mode === 'any' ? Math.min(...times) : Math.max(...times);
		}
		if (readyAt <= now || this.random() < this.options.earlyReturnRate) {
			this.sendJson(res, 200, answer());
			return;
		}
		// Timers may fire a millisecond early: never answer before the state has really changed.
		const answerAt = Math.min(readyAt, now + this.options.holdMs);
		let timer: NodeJS.Timeout;
		const arm = () => {
			timer = setTimeout(() => {
				this.timers.delete(timer);
				if (Date.now() < answerAt) return arm();
				this.sendJson(res, 200, answer());
			}, Math.max(1, answerAt - Date.now()));
			this.timers.add(timer);
		};
		arm();
		res.on('close', () => {
			clearTimeout(timer);
			this.timers.delete(timer);
		});
	}

	private fetchOne(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
		const id = url.searchParams.get('generation_id');
		const generation = id ? this.generations.get(this.lookupId(id)) : undefined;
		if (!generation) return this.sendError(req, res, 404, `Generation ${id ?? ''} not found`);
		const target = this.waitTarget(req, res, url, 'state');
		if (target === false) return;
		this.hold(req, res, [generation], target, 'all', () => this.render(generation));
	}

	private fetchMany(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
		if (this.options.manyEndpoint === 'refused') return this.sendError(req, res, 404, `Cannot GET ${GENERATIONS_PATH}`);
		const ids = [...url.searchParams.getAll('generation_ids[]'), ...url.searchParams.getAll('generation_ids')]
			.flatMap((value) => value.split(','))
			.map((value) => value.trim())
			.filter(Boolean);
		if (ids.length === 0) return this.sendError(req, res, 400, 'Required at "generation_ids"');
		const generations: StoredGeneration[] = [];
		for (const id of ids) {
			const generation = this.generations.get(this.lookupId(id));
			if (!generation) return this.sendError(req, res, 404, `Generation ${id} not found`);
			generations.push(generation);
		}
		const target = this.waitTarget(req, res, url, 'status');
		if (target === false) return;
		this.hold(req, res, generations, target, this.options.manyReturns, () => {
			const list = generations.map((g) => this.render(g));
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
		if (scripted) return this.sendFault(scripted.kind, req, res);
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
