/**
 * The request loop: every request to the API goes through `call`, which sends it, retries
 * what is safe to retry, and turns every failure into an error a user can act on.
 *
 * Reads are retried on network errors, 408, 429, 5xx and unreadable answers. A create is
 * retried only when the server certainly did not accept it (a 429, or a connection refused
 * before anything was sent): every accepted create costs the user 500,000 tokens.
 */
import type {
	ICredentialDataDecryptedObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { excerpt, UnreadableAnswerError } from '../generation';
import { pause, timing, withJitter } from '../timing';
import { retryAfterMs } from './answer';
import type { Attempt } from './createQueue';
import { createQueueFor, QueueCancelled, QueueWaitExceeded } from './createQueue';
import type { CallContext, HttpAnswer, NetworkFailure } from './errors';
import {
	cancelledError,
	httpError,
	markNotCreated,
	mayHaveBeenCreatedError,
	networkError,
	redact,
	serverMessage,
	unreadableError,
} from './errors';

export const CREDENTIAL_TYPE = 'apilaplasApi';
export const DEFAULT_BASE_URL = 'https://api.apilaplas.com';

/** Attempts in all (first try included). */
const ATTEMPTS = { read: 5, create: 8 };

/** Network errors that prove nothing reached the server. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

export type RequestKind = 'read' | 'create';

/** The credential's API setting: which of the gateway's APIs to use, or find out (`auto`). */
export type ApiSetting = 'auto' | 'luma' | 'unified';

export interface Connection {
	baseUrl: string;
	apiKey: string;
	api: ApiSetting;
	/** The credential as n8n resolved it for the item: handed back to n8n with each keyed request. */
	credential: ICredentialDataDecryptedObject;
}

/** Reads the credential's API setting; credentials saved before it existed mean `auto`. */
export function readApiSetting(raw: unknown): ApiSetting {
	return raw === 'luma' || raw === 'unified' ? raw : 'auto';
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

export function parseUrl(text: string): URL | undefined {
	try {
		return new URL(text);
	} catch {
		return undefined;
	}
}

/** Connections of a node run, by the item whose credential they hold. */
const connections = new WeakMap<object, Map<number, Promise<Connection>>>();

/**
 * The credential as n8n resolves it for one item: a field may be an expression
 * (`{{ $json.apiKey }}`), so two items of one run can be two accounts.
 */
async function readConnection(ctx: IExecuteFunctions, itemIndex: number): Promise<Connection> {
	const credential = await ctx.getCredentials(CREDENTIAL_TYPE, itemIndex);
	let baseUrl: string;
	try {
		baseUrl = normalizeBaseUrl(credential.baseUrl);
	} catch (error) {
		throw new NodeOperationError(ctx.getNode(), (error as Error).message, {
			itemIndex,
			description: 'Fix the Base URL in the Apilaplas API credential.',
		});
	}
	const apiKey = typeof credential.apiKey === 'string' ? credential.apiKey.trim() : '';
	return { baseUrl, apiKey, api: readApiSetting(credential.api), credential: { ...credential, apiKey, baseUrl } };
}

/**
 * The connection (Base URL, key, API setting) for an item, read once per item and node run.
 * Every request of an item (probe, create, reads, download) goes with this item's credential.
 */
export function connection(ctx: IExecuteFunctions, itemIndex = 0): Promise<Connection> {
	let byItem = connections.get(ctx);
	if (!byItem) connections.set(ctx, (byItem = new Map()));
	let found = byItem.get(itemIndex);
	if (!found) {
		found = readConnection(ctx, itemIndex);
		found.catch(() => byItem.delete(itemIndex));
		byItem.set(itemIndex, found);
	}
	return found;
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

function cancelled(ctx: IExecuteFunctions): boolean {
	return ctx.getExecutionCancelSignal?.()?.aborted === true;
}

/** One request, never throwing: an answer of any status, or the network failure. */
async function sendOnce(ctx: IExecuteFunctions, options: IHttpRequestOptions, conn: Connection | undefined): Promise<Outcome> {
	const request: IHttpRequestOptions = {
		...options,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		// A redirect to another host must never carry the key.
		sendCredentialsOnCrossOriginRedirect: false,
	};
	try {
		// n8n resolves a credential for item 0 unless handed the item's own (a copy: n8n may add to it).
		const response = (conn
			? await ctx.helpers.httpRequestWithAuthentication.call(ctx, CREDENTIAL_TYPE, request, {
					credentialsDecrypted: { id: '', name: CREDENTIAL_TYPE, type: CREDENTIAL_TYPE, data: { ...conn.credential } },
				})
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

/** A careless server may echo the Authorization header: the key never reaches an output. */
function withoutKey(answer: HttpAnswer, apiKey: string): HttpAnswer {
	return typeof answer.body === 'string' ? { ...answer, body: redact(answer.body, apiKey) } : answer;
}

function isRetryable(kind: RequestKind, outcome: Outcome): boolean {
	if ('failure' in outcome) return kind === 'read' || outcome.failure.notSent;
	const { status } = outcome.answer;
	if (status === 429) return true;
	return kind === 'read' && (status === 408 || status >= 500);
}

/** The error for a request that will not be tried again. */
function finalError(ctx: IExecuteFunctions, conn: Connection, kind: RequestKind, outcome: Outcome, call: CallContext): Error {
	if (kind === 'read') {
		return 'failure' in outcome ? networkError(ctx, outcome.failure, call) : httpError(ctx, conn.apiKey, outcome.answer, call);
	}
	// A create: was it billed? Only a 4xx answer or a request that never left proves it was not.
	if ('failure' in outcome) {
		return outcome.failure.notSent
			? markNotCreated(networkError(ctx, outcome.failure, call))
			: mayHaveBeenCreatedError(ctx, conn.apiKey, `network error ${outcome.failure.code}`, call);
	}
	if (outcome.answer.status >= 500) {
		const { message, requestId } = serverMessage(outcome.answer.body);
		return mayHaveBeenCreatedError(ctx, conn.apiKey, `HTTP ${outcome.answer.status}: ${message}`, call, requestId);
	}
	return markNotCreated(httpError(ctx, conn.apiKey, outcome.answer, call));
}

export interface CallOptions<T> extends CallContext {
	kind: RequestKind;
	request: (conn: Connection) => IHttpRequestOptions;
	/** Reads a 2xx answer; throws UnreadableAnswerError when it cannot. */
	read: (answer: HttpAnswer) => T;
	/** Statuses handed to `onRefused` instead of becoming errors. */
	refused?: number[];
	onRefused?: (answer: HttpAnswer, conn: Connection) => T;
	/** No retry is started that would end after this time (ms since epoch). */
	deadline?: number;
	/** Whether the request goes out with the API key (only to the configured base URL). */
	withKey?: boolean;
	/** The item whose credential the request carries (default: `itemIndex`, else 0); a batch read names one of its items. */
	credentialItem?: number;
	/** Creates only: wait in the account's create queue (see createQueue.ts) before each send. */
	queue?: QueueSettings;
}

export interface QueueSettings {
	/** The account's creates per minute. */
	perMinute: number;
	/** Longest wait for a turn, in ms. */
	maxWaitMs: number;
	/** Told when the create has to wait (position 1 = next out, expected wait in ms). */
	onWait?: (position: number, expectedWaitMs: number) => void;
}

/** FNV-1a, twice: an account's key (Base URL and API key) in process maps, so the key itself is never kept as a map key. */
export function accountKey(conn: Connection): string {
	const text = `${conn.baseUrl}\n${conn.apiKey}`;
	let a = 0x811c9dc5;
	let b = 0x01000193 ^ text.length;
	for (let i = 0; i < text.length; i++) {
		a = Math.imul(a ^ text.charCodeAt(i), 0x01000193) >>> 0;
		b = Math.imul(b ^ text.charCodeAt(text.length - 1 - i), 0x01000193) >>> 0;
	}
	return `${a.toString(16)}${b.toString(16)}`;
}

/**
 * One send of a create through the account's queue: it leaves in arrival order at the account's
 * rate, and a 429 (never billed) puts it back at the head of the line instead of failing it.
 */
async function sendQueued(
	ctx: IExecuteFunctions,
	conn: Connection,
	settings: QueueSettings,
	request: IHttpRequestOptions,
	deadline: number,
	call: CallContext,
): Promise<Outcome> {
	try {
		return await createQueueFor(accountKey(conn)).run<Outcome>(
			{ perMinute: settings.perMinute, signal: ctx.getExecutionCancelSignal?.(), deadline, onWait: settings.onWait },
			async (): Promise<Attempt<Outcome>> => {
				const outcome = await sendOnce(ctx, request, conn);
				if ('answer' in outcome && outcome.answer.status === 429) {
					ctx.logger.debug(`${call.what}: HTTP 429, the account's create queue pauses`);
					return { tooMany: true, retryAfterMs: retryAfterMs(header(outcome.answer, 'retry-after')) };
				}
				return { tooMany: false, result: outcome };
			},
		);
	} catch (error) {
		if (error instanceof QueueCancelled) throw markNotCreated(cancelledError(ctx));
		if (error instanceof QueueWaitExceeded) {
			const minutes = Math.round(settings.maxWaitMs / timing.minuteMs);
			throw markNotCreated(
				new NodeOperationError(ctx.getNode(), `${call.what}: not created after waiting ${minutes} minute${minutes === 1 ? '' : 's'} for the account's create limits`, {
					itemIndex: call.itemIndex,
					description:
						'Nothing was billed: the server accepted no create for this item (a refusal with HTTP 429 is never billed). Many executions are creating on this account at once (it allows 20 creates a minute and 10 videos running). ' +
						'Run it again later, or raise Options → Max Wait in Create Queue (Minutes).',
				}),
			);
		}
		throw new NodeOperationError(ctx.getNode(), error as Error, { itemIndex: call.itemIndex });
	}
}

function backoffMs(attempt: number): number {
	return withJitter(Math.min(timing.retryMaxMs, timing.retryBaseMs * 2 ** (attempt - 1)));
}

export async function call<T>(ctx: IExecuteFunctions, options: CallOptions<T>): Promise<T> {
	const conn = await connection(ctx, options.credentialItem ?? options.itemIndex ?? 0);
	const { kind } = options;
	const signal = ctx.getExecutionCancelSignal?.();
	const queueDeadline = Date.now() + (options.queue?.maxWaitMs ?? 0);
	for (let attempt = 1; ; attempt++) {
		// Nothing of this attempt was sent yet; an earlier one was only retried if it was not accepted.
		if (cancelled(ctx)) throw kind === 'create' ? markNotCreated(cancelledError(ctx)) : cancelledError(ctx);
		const outcome =
			kind === 'create' && options.queue
				? await sendQueued(ctx, conn, options.queue, options.request(conn), queueDeadline, options)
				: await sendOnce(ctx, options.request(conn), options.withKey !== false ? conn : undefined);
		// A create's answer is read even when the execution was cancelled meanwhile: it may hold a paid id.
		if (kind === 'read' && cancelled(ctx)) throw cancelledError(ctx);

		if ('answer' in outcome) {
			const answer = withoutKey(outcome.answer, conn.apiKey);
			if (options.refused?.includes(answer.status) && options.onRefused) return options.onRefused(answer, conn);
			if (answer.status >= 200 && answer.status < 300) {
				try {
					return options.read(answer);
				} catch (error) {
					const unreadable = error instanceof UnreadableAnswerError;
					const reason = unreadable ? error.message : `unexpected answer: ${(error as Error).message}`;
					if (kind === 'create') throw mayHaveBeenCreatedError(ctx, conn.apiKey, reason, options);
					if (!unreadable) throw new NodeOperationError(ctx.getNode(), error as Error);
					if (attempt >= ATTEMPTS.read) throw unreadableError(ctx, conn.apiKey, reason, options);
					ctx.logger.warn(`${options.what}: unreadable answer, retrying (attempt ${attempt})`);
					await pause(backoffMs(attempt), signal);
					continue;
				}
			}
		}

		if (!isRetryable(kind, outcome) || attempt >= ATTEMPTS[kind]) throw finalError(ctx, conn, kind, outcome, options);

		const askedFor = 'answer' in outcome ? retryAfterMs(header(outcome.answer, 'retry-after')) : undefined;
		const delay = askedFor === undefined ? backoffMs(attempt) : Math.min(askedFor, timing.retryMaxMs);
		if (options.deadline !== undefined && Date.now() + delay > options.deadline) {
			throw finalError(ctx, conn, kind, outcome, options);
		}
		const reason = 'failure' in outcome ? outcome.failure.code : `HTTP ${outcome.answer.status}`;
		ctx.logger.debug(`${options.what}: ${reason}, retry ${attempt} in ${Math.round(delay)} ms`);
		await pause(delay, signal);
	}
}

export function jsonRequest(
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
