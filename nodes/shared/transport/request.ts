/**
 * The request loop: every request to the API goes through `call`, which sends it, retries what
 * is safe to retry (retry.ts), sends creates through the account's queue (queued.ts), and turns
 * every failure into an error a user can act on (errors.ts). The credential is read in
 * credentials.ts.
 */
import type { IExecuteFunctions, IHttpRequestMethods, IHttpRequestOptions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { UnreadableAnswerError } from '../generation';
import { pause } from '../timing';
import type { Connection } from './credentials';
import { connection, CREDENTIAL_TYPE } from './credentials';
import type { CallContext, HttpAnswer } from './errors';
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
import { readErrorStream } from './errorStream';
import type { QueueSettings } from './queued';
import { sendQueued } from './queued';
import type { RequestKind, SendResult } from './retry';
import { ATTEMPTS, isRetryable, NOT_SENT_CODES, retryAfterOf, retryDelayMs } from './retry';


function errorCode(error: unknown): string {
	let current: unknown = error;
	for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
		const code = (current as { code?: unknown }).code;
		if (typeof code === 'string' && code !== '') return code;
		current = (current as { cause?: unknown }).cause;
	}
	return 'UNKNOWN_NETWORK_ERROR';
}

/**
 * `ctx` for a create that has left: n8n's httpRequestWithAuthentication aborts every request of a
 * stopped execution (it sets the cancel signal of any `this` that has getExecutionCancelSignal, in
 * 1.x and 2.x), which would lose the answer of a create the server may already have billed. Without
 * that method in sight, the answer is read, and its id reaches the ledger and the log.
 */
function unstoppable(ctx: IExecuteFunctions): IExecuteFunctions {
	return new Proxy(ctx, { has: (target, key) => key !== 'getExecutionCancelSignal' && Reflect.has(target, key) });
}

function cancelled(ctx: IExecuteFunctions): boolean {
	return ctx.getExecutionCancelSignal?.()?.aborted === true;
}

/** One request, never throwing: an answer of any status, or the network failure. */
async function sendOnce(ctx: IExecuteFunctions, options: IHttpRequestOptions, conn: Connection | undefined): Promise<SendResult> {
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

/** A careless server may echo the Authorization header: the key never reaches an output. */
function withoutKey(answer: HttpAnswer, apiKey: string): HttpAnswer {
	return typeof answer.body === 'string' ? { ...answer, body: redact(answer.body, apiKey) } : answer;
}

/** The error for a request that will not be tried again. */
function finalError(ctx: IExecuteFunctions, conn: Connection, kind: RequestKind, sent: SendResult, call: CallContext): Error {
	if (kind === 'read') {
		return 'failure' in sent ? networkError(ctx, sent.failure, call) : httpError(ctx, conn.apiKey, sent.answer, call);
	}
	// A create: was it billed? Only a 4xx answer or a request that never left proves it was not.
	if ('failure' in sent) {
		return sent.failure.notSent
			? markNotCreated(networkError(ctx, sent.failure, call))
			: mayHaveBeenCreatedError(ctx, conn.apiKey, `network error ${sent.failure.code}`, call);
	}
	if (sent.answer.status >= 500) {
		const { message, requestId } = serverMessage(sent.answer.body);
		return mayHaveBeenCreatedError(ctx, conn.apiKey, `HTTP ${sent.answer.status}: ${message}`, call, requestId);
	}
	return markNotCreated(httpError(ctx, conn.apiKey, sent.answer, call));
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

/**
 * Sends one request until it succeeds or must not be tried again, and returns `read` of the 2xx
 * answer (or `onRefused` of a `refused` status). Throws a NodeApiError/NodeOperationError naming
 * the item: a create's error says whether it may have been billed (`certainlyNotCreated`).
 */
export async function call<T>(ctx: IExecuteFunctions, options: CallOptions<T>): Promise<T> {
	const conn = await connection(ctx, options.credentialItem ?? options.itemIndex ?? 0);
	const { kind } = options;
	const signal = ctx.getExecutionCancelSignal?.();
	const queueDeadline = Date.now() + (options.queue?.maxWaitMs ?? 0);
	for (let attempt = 1; ; attempt++) {
		// Nothing of this attempt was sent yet; an earlier one was only retried if it was not accepted.
		if (cancelled(ctx)) throw kind === 'create' ? markNotCreated(cancelledError(ctx)) : cancelledError(ctx);
		const request = options.request(conn);
		const sender = kind === 'create' ? unstoppable(ctx) : ctx;
		const sent =
			kind === 'create' && options.queue
				? await sendQueued(ctx, conn, options.queue, queueDeadline, options, () => sendOnce(sender, request, conn))
				: await sendOnce(sender, request, options.withKey !== false ? conn : undefined);
		// A create's answer is read even when the execution was cancelled meanwhile: it may hold a paid id.
		if (kind === 'read' && cancelled(ctx)) throw cancelledError(ctx);

		if ('answer' in sent) {
			const answer = withoutKey(sent.answer, conn.apiKey);
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
					await pause(retryDelayMs(attempt), signal);
					continue;
				}
			}
		}

		if (!isRetryable(kind, sent) || attempt >= ATTEMPTS[kind]) throw finalError(ctx, conn, kind, sent, options);

		const delay = retryDelayMs(attempt, retryAfterOf(sent));
		if (options.deadline !== undefined && Date.now() + delay > options.deadline) {
			throw finalError(ctx, conn, kind, sent, options);
		}
		const reason = 'failure' in sent ? sent.failure.code : `HTTP ${sent.answer.status}`;
		ctx.logger.debug(`${options.what}: ${reason}, retry ${attempt} in ${Math.round(delay)} ms`);
		await pause(delay, signal);
	}
}

/** A JSON request to the API: `path` under the Base URL, the body (if any) as JSON text, `timeout` in ms. */
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
