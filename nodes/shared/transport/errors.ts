/**
 * The errors users read when a request fails: what happened, in the server's own words where
 * it gave any, and what to do. None of them ever holds the API key.
 */
import type { IDataObject, IExecuteFunctions, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { excerpt } from '../generation';
import { parseJson } from './answer';

/** What a message needs to say which request failed, and for which item. */
export interface CallContext {
	what: string;
	itemIndex?: number;
}

export interface HttpAnswer {
	status: number;
	headers: Record<string, string | string[] | undefined>;
	body: unknown;
}

export interface NetworkFailure {
	code: string;
	/** The failure proves nothing reached the server (e.g. a refused connection). */
	notSent: boolean;
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

/**
 * A server's words for a route it does not have (NestJS's "Cannot GET /path"), as opposed to a
 * generation it does not know: the gateway does not serve that API (docs/API.md).
 */
export const NO_SUCH_ROUTE = /^cannot (get|post|put|patch|delete|head) /i;

const NO_ROUTE_HINT =
	'The gateway has no such route: it does not serve this API at this Base URL. In the Apilaplas API credential, set API to Automatic (or to the API the gateway serves), or check the Base URL.';

/** Replaces the key wherever a server echoed it back. */
export function redact(text: string, apiKey: string): string {
	return apiKey.length >= 4 ? text.split(apiKey).join('[redacted]') : text;
}

/** The server's own words, from either error shape (gateway `{message, requestId}`, upstream `{detail}`). */
export function serverMessage(body: unknown): { message: string; requestId?: string } {
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

/**
 * The error for an HTTP error answer: `call.what` failed with the status and the server's own
 * words, with `apiKey` taken out wherever the server echoed it; the description says what to do.
 */
export function httpError(ctx: IExecuteFunctions, apiKey: string, answer: HttpAnswer, call: CallContext): NodeApiError {
	const { message, requestId } = serverMessage(answer.body);
	const noRoute = [404, 405, 410].includes(answer.status) && NO_SUCH_ROUTE.test(message);
	const hint = noRoute ? NO_ROUTE_HINT : (STATUS_HINTS[answer.status] ?? (answer.status >= 500 ? STATUS_HINTS[500] : ''));
	const safeMessage = redact(message, apiKey);
	return apiError(
		ctx,
		{ status: answer.status, message: safeMessage, requestId: requestId ?? null },
		{
			message: redact(`${call.what} failed with HTTP ${answer.status}: ${safeMessage}`, apiKey),
			description: [hint, requestId ? `Gateway request id: ${requestId}.` : ''].filter(Boolean).join(' '),
			httpCode: String(answer.status),
			itemIndex: call.itemIndex,
		},
	);
}

/** The error for a request that got no answer (`failure.code`, e.g. ECONNREFUSED); its context keeps the code as `networkCode`. */
export function networkError(ctx: IExecuteFunctions, failure: NetworkFailure, call: CallContext): NodeApiError {
	const error = apiError(ctx, { code: failure.code }, {
		message: `${call.what} failed: no answer from the server (${failure.code})`,
		description: 'Check the Base URL in the Apilaplas API credential and the network, then try again.',
		itemIndex: call.itemIndex,
	});
	error.context.networkCode = failure.code;
	return error;
}

/** The error for an answer this node cannot read (`reason`, e.g. not JSON), with `apiKey` taken out of it. */
export function unreadableError(ctx: IExecuteFunctions, apiKey: string, reason: string, call: CallContext): NodeApiError {
	return apiError(ctx, { message: redact(reason, apiKey) }, {
		message: redact(`${call.what}: ${reason}`, apiKey),
		description: 'The gateway answered in a way this node cannot read. Try again later.',
		itemIndex: call.itemIndex,
	});
}

/**
 * A create that may have reached the server failed (`cause`: the status or network code and the
 * server's words): say so plainly, with the token cost; it is never retried. `apiKey` is taken out.
 */
export function mayHaveBeenCreatedError(
	ctx: IExecuteFunctions,
	apiKey: string,
	cause: string,
	call: CallContext,
	requestId?: string,
): NodeApiError {
	return apiError(ctx, { message: redact(cause, apiKey) }, {
		message: redact(
			`${call.what} failed after it may have reached the server (${cause}). A generation may have been created and billed (500,000 tokens).`,
			apiKey,
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

/** The error a request ends with when the user stops the execution. */
export function cancelledError(ctx: IExecuteFunctions): NodeOperationError {
	return new NodeOperationError(ctx.getNode(), 'The execution was cancelled');
}

/**
 * Marks the failure of a create that certainly cost nothing: the server refused it with a
 * 4xx, or it never left this machine. Every other failed create may have been billed.
 */
export function markNotCreated<T extends NodeApiError | NodeOperationError>(error: T): T {
	error.context.notCreated = true;
	return error;
}

/** Whether a failed create certainly created nothing (see markNotCreated). */
export function certainlyNotCreated(error: unknown): boolean {
	return (error instanceof NodeApiError || error instanceof NodeOperationError) && error.context.notCreated === true;
}

/** A failure worth asking again about (network, 408, 429, 5xx, unreadable answer), not a final refusal. */
export function isTransient(error: unknown): boolean {
	if (!(error instanceof NodeApiError)) return false;
	const status = Number(error.httpCode);
	return !error.httpCode || Number.isNaN(status) || status === 408 || status === 429 || status >= 500;
}
