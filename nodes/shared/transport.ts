/**
 * The only module that speaks HTTP to the API (API.md sections 1 to 5).
 *
 * Reads are retried on network errors, 408, 429 and 5xx. A create is retried only when the
 * server certainly did not accept it (a 429, or a connection refused before anything was
 * sent): every accepted create costs the user 500,000 tokens.
 */
import type {
	IBinaryData,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import type { Generation, LumaState } from './generation';
import {
	excerpt,
	normalizeGeneration,
	normalizeGenerations,
	UnreadableAnswerError,
} from './generation';
import { pause, timing, withJitter } from './timing';

export const CREDENTIAL_TYPE = 'apilaplasApi';
export const DEFAULT_BASE_URL = 'https://api.apilaplas.com';
export const GENERATION_PATH = '/v2/generate/video/luma-ai/generation';
export const GENERATIONS_PATH = '/v2/generate/video/luma-ai/generations';
export const TOKENS_PER_CREATE = 500_000;

/** Attempts in all (first try included). */
const READ_ATTEMPTS = 5;
const CREATE_ATTEMPTS = 8;

/** Network errors that prove nothing reached the server. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

type RequestKind = 'read' | 'create';

interface Connection {
	baseUrl: string;
	apiKey: string;
}

interface HttpAnswer {
	status: number;
	headers: Record<string, string | string[] | undefined>;
	body: unknown;
}

interface NetworkFailure {
	code: string;
	notSent: boolean;
}

type Outcome = { answer: HttpAnswer } | { failure: NetworkFailure };

/** Reads the credential's base URL: trimmed, trailing slashes dropped, http(s) only. */
export function normalizeBaseUrl(raw: unknown): string {
	const text = typeof raw === 'string' ? raw.trim() : '';
	if (text === '') return DEFAULT_BASE_URL;
	const url = parseUrl(text);
	if (!url) {
		throw new Error(
			`The Base URL "${excerpt(text, 80)}" is not a URL: write it with its scheme, e.g. ${DEFAULT_BASE_URL}`,
		);
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		throw new Error(
			`The Base URL "${excerpt(text, 80)}" must start with http:// or https://, e.g. ${DEFAULT_BASE_URL}`,
		);
	}
	return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function parseUrl(text: string): URL | undefined {
	try {
		return new URL(text);
	} catch {
		return undefined;
	}
}

const connections = new WeakMap<object, Promise<Connection>>();

async function readConnection(ctx: IExecuteFunctions): Promise<Connection> {
	const credentials = await ctx.getCredentials(CREDENTIAL_TYPE);
	let baseUrl: string;
	try {
		baseUrl = normalizeBaseUrl(credentials.baseUrl);
	} catch (error) {
		throw new NodeOperationError(ctx.getNode(), (error as Error).message, {
			description: 'Fix the Base URL in the Apilaplas API credential.',
		});
	}
	return { baseUrl, apiKey: typeof credentials.apiKey === 'string' ? credentials.apiKey.trim() : '' };
}

/** The credential is read once per node run, not once per request. */
function connection(ctx: IExecuteFunctions): Promise<Connection> {
	let found = connections.get(ctx);
	if (!found) {
		found = readConnection(ctx);
		found.catch(() => connections.delete(ctx));
		connections.set(ctx, found);
	}
	return found;
}

function redact(text: string, conn: Connection): string {
	return conn.apiKey.length >= 4 ? text.split(conn.apiKey).join('[redacted]') : text;
}

function errorCode(error: unknown): string {
	let current: unknown = error;
	for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
		const code = (current as { code?: unknown }).code;
		if (typeof code === 'string' && code !== '') return code;
		current = (current as { cause?: unknown }).cause;
	}
	return 'UNKNOWN_NETWORK_ERROR';
}

function header(answer: HttpAnswer, name: string): string | undefined {
	const value = answer.headers[name] ?? answer.headers[name.toLowerCase()];
	return Array.isArray(value) ? value[0] : value;
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
	if (value === undefined || value.trim() === '') return undefined;
	const seconds = Number(value);
	if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
	const date = Date.parse(value);
	return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function cancelled(ctx: IExecuteFunctions): boolean {
	return ctx.getExecutionCancelSignal?.()?.aborted === true;
}

async function sendOnce(
	ctx: IExecuteFunctions,
	conn: Connection,
	options: IHttpRequestOptions,
	withKey: boolean,
): Promise<Outcome> {
	const request: IHttpRequestOptions = {
		...options,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		// A redirect to another host must never carry the key.
		sendCredentialsOnCrossOriginRedirect: false,
	};
	try {
		const response = (withKey
			? await ctx.helpers.httpRequestWithAuthentication.call(ctx, CREDENTIAL_TYPE, request)
			: await ctx.helpers.httpRequest({ ...request, abortSignal: ctx.getExecutionCancelSignal?.() })) as {
			statusCode: number;
			headers?: HttpAnswer['headers'];
			body: unknown;
		};
		let body = response.body;
		if (options.encoding === 'stream' && (response.statusCode < 200 || response.statusCode >= 300)) {
			body = await readErrorStream(body);
		}
		return { answer: { status: response.statusCode, headers: response.headers ?? {}, body } };
	} catch (error) {
		const code = errorCode(error);
		return { failure: { code, notSent: NOT_SENT_CODES.has(code) } };
	}
}

/** The start of an error answer to a download, as text; the rest is dropped with the socket. */
async function readErrorStream(stream: unknown): Promise<string> {
	const source = stream as AsyncIterable<Uint8Array> & { destroy?: () => void };
	let text = '';
	try {
		for await (const chunk of source) {
			text += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
			if (text.length > 4096) break;
		}
	} catch {
		// a broken error body: what arrived is enough
	}
	source.destroy?.();
	return text;
}

function parseJson(body: unknown): unknown {
	if (typeof body !== 'string') {
		if (body === undefined || body === null) throw new UnreadableAnswerError('The server sent an empty answer.');
		return body;
	}
	if (body.trim() === '') throw new UnreadableAnswerError('The server sent an empty answer.');
	const NOT_JSON = Symbol('not JSON');
	let parsed: unknown = NOT_JSON;
	try {
		parsed = JSON.parse(body);
	} catch {
		// reported below, with an excerpt of what came back
	}
	if (parsed === NOT_JSON) throw new UnreadableAnswerError(`The server's answer is not JSON: ${excerpt(body)}`);
	return parsed;
}

/** The server's own words, from either error shape (gateway `{message, requestId}`, upstream `{detail}`). */
function serverMessage(body: unknown): { message: string; requestId?: string } {
	let parsed: unknown = body;
	try {
		parsed = parseJson(body);
	} catch {
		return { message: excerpt(body) || 'no message' };
	}
	if (parsed && typeof parsed === 'object') {
		const data = parsed as IDataObject;
		const detail = Array.isArray(data.detail)
			? data.detail.map((entry) => (entry as IDataObject)?.msg ?? excerpt(entry)).join('; ')
			: data.detail;
		const raw = data.message ?? detail ?? data.error;
		const message = typeof raw === 'string' ? raw : excerpt(raw ?? parsed);
		const requestId = typeof data.requestId === 'string' ? data.requestId : undefined;
		return { message, requestId };
	}
	return { message: excerpt(parsed) };
}

const STATUS_HINTS: Record<number, string> = {
	400: 'The request was refused as invalid.',
	401: 'The API key is missing or invalid: check the key in the Apilaplas API credential.',
	403: 'The Apilaplas account is out of credits: top it up, then run again.',
	404: 'The server does not know this generation: check the generation ID.',
	408: 'The server timed out.',
	429: 'Too many requests: wait a minute, or lower the rate (Creates per Minute).',
	500: 'The gateway or the model had an internal error.',
	502: 'The gateway could not reach the model.',
	503: 'The model is unavailable or under maintenance.',
	504: 'The generation timed out upstream.',
};

interface CallContext {
	what: string;
	itemIndex?: number;
}

/** NodeApiError rewrites messages that mention network codes; ours are already written for people. */
function apiError(
	ctx: IExecuteFunctions,
	data: JsonObject,
	options: { message: string; description: string; httpCode?: string; itemIndex?: number },
): NodeApiError {
	const error = new NodeApiError(ctx.getNode(), data, options);
	error.message = options.message;
	error.description = options.description;
	if (options.httpCode) error.httpCode = options.httpCode;
	return error;
}

function httpError(ctx: IExecuteFunctions, conn: Connection, answer: HttpAnswer, call: CallContext): NodeApiError {
	const { message, requestId } = serverMessage(answer.body);
	const hint = STATUS_HINTS[answer.status] ?? (answer.status >= 500 ? STATUS_HINTS[500] : '');
	const safeMessage = redact(message, conn);
	return apiError(
		ctx,
		{ status: answer.status, message: safeMessage, requestId: requestId ?? null },
		{
			message: redact(`${call.what} failed with HTTP ${answer.status}: ${safeMessage}`, conn),
			description: [hint, requestId ? `Gateway request id: ${requestId}.` : ''].filter(Boolean).join(' '),
			httpCode: String(answer.status),
			itemIndex: call.itemIndex,
		},
	);
}

function networkError(ctx: IExecuteFunctions, failure: NetworkFailure, call: CallContext): NodeApiError {
	const error = apiError(ctx, { code: failure.code }, {
		message: `${call.what} failed: no answer from the server (${failure.code})`,
		description: 'Check the Base URL in the Apilaplas API credential and the network, then try again.',
		itemIndex: call.itemIndex,
	});
	error.context.networkCode = failure.code;
	return error;
}

/** Whether a request failed by running out of time (its own timeout, e.g. at Max Wait). */
export function isTimeout(error: unknown): boolean {
	const code = error instanceof NodeApiError ? error.context.networkCode : undefined;
	return code === 'ECONNABORTED' || code === 'ETIMEDOUT';
}

function unreadableError(
	ctx: IExecuteFunctions,
	conn: Connection,
	error: UnreadableAnswerError,
	call: CallContext,
): NodeApiError {
	return apiError(ctx, { message: redact(error.message, conn) }, {
		message: redact(`${call.what}: ${error.message}`, conn),
		description: 'The gateway answered in a way this node cannot read. Try again later.',
		itemIndex: call.itemIndex,
	});
}

/** A create that may have reached the server failed: say so plainly, never retry it. */
function mayHaveBeenCreatedError(
	ctx: IExecuteFunctions,
	conn: Connection,
	cause: string,
	call: CallContext,
	requestId?: string,
): NodeApiError {
	return apiError(ctx, { message: redact(cause, conn) }, {
		message: redact(
			`${call.what} failed after it may have reached the server (${cause}). A generation may have been created and billed (500,000 tokens).`,
			conn,
		),
		description: [
			'The request was not sent again, so it cannot be paid twice.',
			'Check your generations on the gateway before running this item again.',
			requestId ? `Gateway request id: ${requestId}.` : '',
		]
			.filter(Boolean)
			.join(' '),
		itemIndex: call.itemIndex,
	});
}

export function cancelledError(ctx: IExecuteFunctions): NodeOperationError {
	return new NodeOperationError(ctx.getNode(), 'The execution was cancelled');
}

function isRetryable(kind: RequestKind, outcome: Outcome): boolean {
	if ('failure' in outcome) return kind === 'read' || outcome.failure.notSent;
	const { status } = outcome.answer;
	if (status === 429) return true;
	return kind === 'read' && (status === 408 || status >= 500);
}

interface CallOptions<T> extends CallContext {
	kind: RequestKind;
	request: (conn: Connection) => IHttpRequestOptions;
	/** Reads a 2xx answer; throws UnreadableAnswerError when it cannot. */
	read: (answer: HttpAnswer) => T;
	/** Statuses handed to `onRefused` instead of becoming errors. */
	refused?: number[];
	onRefused?: (answer: HttpAnswer) => T;
	/** No retry is started that would end after this time (ms since epoch). */
	deadline?: number;
	/** Whether the request goes out with the API key (only to the configured base URL). */
	withKey?: boolean;
}

async function call<T>(ctx: IExecuteFunctions, options: CallOptions<T>): Promise<T> {
	const conn = await connection(ctx);
	const attempts = options.kind === 'create' ? CREATE_ATTEMPTS : READ_ATTEMPTS;
	const signal = ctx.getExecutionCancelSignal?.();
	for (let attempt = 1; ; attempt++) {
		if (cancelled(ctx)) throw cancelledError(ctx);
		const outcome = await sendOnce(ctx, conn, options.request(conn), options.withKey !== false);
		if (cancelled(ctx)) throw cancelledError(ctx);

		if ('answer' in outcome) {
			const { answer } = outcome;
			if (options.refused?.includes(answer.status) && options.onRefused) return options.onRefused(answer);
			if (answer.status >= 200 && answer.status < 300) {
				try {
					return options.read(answer);
				} catch (error) {
					if (!(error instanceof UnreadableAnswerError)) throw new NodeOperationError(ctx.getNode(), error as Error);
					if (options.kind === 'create') {
						throw mayHaveBeenCreatedError(ctx, conn, error.message, options);
					}
					if (attempt >= attempts) throw unreadableError(ctx, conn, error, options);
					ctx.logger.warn(`${options.what}: unreadable answer, retrying (attempt ${attempt})`);
					await pause(withJitter(Math.min(timing.retryMaxMs, timing.retryBaseMs * 2 ** (attempt - 1))), signal);
					continue;
				}
			}
		}

		const retryable = isRetryable(options.kind, outcome) && attempt < attempts;
		if (!retryable) {
			if ('failure' in outcome) {
				if (options.kind === 'create' && !outcome.failure.notSent) {
					throw mayHaveBeenCreatedError(ctx, conn, `network error ${outcome.failure.code}`, options);
				}
				throw networkError(ctx, outcome.failure, options);
			}
			if (options.kind === 'create' && outcome.answer.status >= 500) {
				const { message, requestId } = serverMessage(outcome.answer.body);
				throw mayHaveBeenCreatedError(ctx, conn, `HTTP ${outcome.answer.status}: ${message}`, options, requestId);
			}
			throw httpError(ctx, conn, outcome.answer, options);
		}

		const backoff = withJitter(Math.min(timing.retryMaxMs, timing.retryBaseMs * 2 ** (attempt - 1)));
		const askedFor = 'answer' in outcome ? retryAfterMs(header(outcome.answer, 'retry-after')) : undefined;
		const delay = askedFor === undefined ? backoff : Math.min(askedFor, timing.retryMaxMs);
		if (options.deadline !== undefined && Date.now() + delay > options.deadline) {
			if ('failure' in outcome) throw networkError(ctx, outcome.failure, options);
			throw httpError(ctx, conn, outcome.answer, options);
		}
		const reason = 'failure' in outcome ? outcome.failure.code : `HTTP ${outcome.answer.status}`;
		ctx.logger.debug(`${options.what}: ${reason}, retry ${attempt} in ${Math.round(delay)} ms`);
		await pause(delay, signal);
	}
}

function jsonRequest(
	conn: Connection,
	method: IHttpRequestMethods,
	path: string,
	timeout: number,
	extra: Partial<IHttpRequestOptions> = {},
): IHttpRequestOptions {
	return {
		method,
		url: `${conn.baseUrl}${path}`,
		headers: { Accept: 'application/json', ...(extra.body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
		json: false,
		encoding: 'text',
		timeout,
		...extra,
	};
}

function longPollTimeout(deadline?: number): number {
	if (deadline === undefined) return timing.longPollTimeoutMs;
	return Math.max(1, Math.min(timing.longPollTimeoutMs, deadline - Date.now()));
}

/** POST a create. Sent at most once unless the server certainly did not accept it. */
export async function createGeneration(
	ctx: IExecuteFunctions,
	body: IDataObject,
	itemIndex: number,
): Promise<Generation> {
	return await call(ctx, {
		kind: 'create',
		what: `Creating the generation for item ${itemIndex}`,
		itemIndex,
		request: (conn) =>
			jsonRequest(conn, 'POST', GENERATION_PATH, timing.requestTimeoutMs, { body: JSON.stringify(body) }),
		read: (answer) => normalizeGeneration(parseJson(answer.body)),
	});
}

export interface FetchOptions {
	/** Long-poll until this state or a later one (omit for an instant answer). */
	waitFor?: LumaState;
	deadline?: number;
	itemIndex?: number;
}

/** GET one generation; with `waitFor`, the server holds the request up to its 30 s. */
export async function fetchGeneration(
	ctx: IExecuteFunctions,
	id: string,
	options: FetchOptions = {},
): Promise<Generation> {
	return await call(ctx, {
		kind: 'read',
		what: `Fetching generation ${id}`,
		itemIndex: options.itemIndex,
		deadline: options.deadline,
		request: (conn) =>
			jsonRequest(conn, 'GET', GENERATION_PATH, options.waitFor ? longPollTimeout(options.deadline) : timing.requestTimeoutMs, {
				qs: { generation_id: id, ...(options.waitFor ? { state: options.waitFor } : {}) },
			}),
		read: (answer) => normalizeGeneration(parseJson(answer.body)),
	});
}

/** The fetch-many endpoint refused the request (it may not exist on this gateway). */
export const BATCH_REFUSED = Symbol('batch refused');

/** GET several generations in one long poll; BATCH_REFUSED when the endpoint refuses it. */
export async function fetchGenerations(
	ctx: IExecuteFunctions,
	ids: string[],
	options: Omit<FetchOptions, 'itemIndex'> = {},
): Promise<Generation[] | typeof BATCH_REFUSED> {
	return await call<Generation[] | typeof BATCH_REFUSED>(ctx, {
		kind: 'read',
		what: `Fetching ${ids.length} generations`,
		deadline: options.deadline,
		request: (conn) =>
			jsonRequest(conn, 'GET', GENERATIONS_PATH, options.waitFor ? longPollTimeout(options.deadline) : timing.requestTimeoutMs, {
				qs: { generation_ids: ids, ...(options.waitFor ? { status: options.waitFor } : {}) },
				arrayFormat: 'brackets',
			}),
		read: (answer) => normalizeGenerations(parseJson(answer.body)),
		refused: [400, 404, 405],
		onRefused: () => BATCH_REFUSED,
	});
}

/** Whether a URL is on the API's own host: only there does a request carry the key. */
export async function isApiHost(ctx: IExecuteFunctions, url: string): Promise<boolean> {
	const conn = await connection(ctx);
	return parseUrl(url)?.origin === new URL(conn.baseUrl).origin;
}

type BinarySource = Parameters<IExecuteFunctions['helpers']['prepareBinaryData']>[0];

/** Streams a video into n8n binary data; the key goes along only to the API's own host. */
export async function downloadVideo(
	ctx: IExecuteFunctions,
	url: string,
	fileName: string,
	itemIndex: number,
): Promise<IBinaryData> {
	const withKey = await isApiHost(ctx, url);
	const stream = await call(ctx, {
		kind: 'read',
		what: `Downloading the video for item ${itemIndex}`,
		itemIndex,
		withKey,
		request: () => ({ method: 'GET', url, encoding: 'stream', timeout: timing.downloadTimeoutMs }),
		read: (answer) => answer.body as BinarySource,
	});
	return await ctx.helpers.prepareBinaryData(stream, fileName, 'video/mp4');
}

/** A failure worth asking again about (network, 408, 429, 5xx, unreadable answer), not a final refusal. */
export function isTransient(error: unknown): boolean {
	if (!(error instanceof NodeApiError)) return false;
	const status = Number(error.httpCode);
	return !error.httpCode || Number.isNaN(status) || status === 408 || status === 429 || status >= 500;
}
