/**
 * What the request loop retries, how often and how far apart (docs/API.md §9.4).
 *
 * Reads are retried on network errors, 408, 429, 5xx and unreadable answers. A create is
 * retried only when the server certainly did not accept it (a 429, or a connection refused
 * before anything was sent): every accepted create is billed.
 */
import { timing, withJitter } from '../timing';
import { retryAfterMs } from './answer';
import type { HttpAnswer, NetworkFailure } from './errors';

export type RequestKind = 'read' | 'create';

/** One send of a request: an answer of any status, or the network failure. */
export type SendResult = { answer: HttpAnswer } | { failure: NetworkFailure };

/** Attempts in all (first try included). */
export const ATTEMPTS: Record<RequestKind, number> = { read: 5, create: 8 };

/** Network errors that prove nothing reached the server. */
export const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/** Whether a failed send of this kind may be sent again: never when a create may have been accepted. */
export function isRetryable(kind: RequestKind, sent: SendResult): boolean {
	if ('failure' in sent) return kind === 'read' || sent.failure.notSent;
	const { status } = sent.answer;
	if (status === 429) return true;
	return kind === 'read' && (status === 408 || status >= 500);
}

/** A header of an answer, by its name in any case; the first value when repeated. */
export function header(answer: HttpAnswer, name: string): string | undefined {
	const value = answer.headers[name] ?? answer.headers[name.toLowerCase()];
	return Array.isArray(value) ? value[0] : value;
}

/** The answer's Retry-After in ms (undefined when absent or unreadable), not capped. */
export function retryAfterOf(sent: SendResult): number | undefined {
	return 'answer' in sent ? retryAfterMs(header(sent.answer, 'retry-after')) : undefined;
}

/**
 * The wait before retry number `attempt` (1 = the first retry), in ms: the server's Retry-After
 * when it gave one, else a backoff doubling from timing.retryBaseMs, jittered down to half;
 * either way at most timing.retryMaxMs.
 */
export function retryDelayMs(attempt: number, retryAfter?: number): number {
	if (retryAfter !== undefined) return Math.min(retryAfter, timing.retryMaxMs);
	return withJitter(Math.min(timing.retryMaxMs, timing.retryBaseMs * 2 ** (attempt - 1)));
}
