/**
 * The glue between the request loop and the account's create queue (createQueue.ts): one send of
 * a create through the queue, what a 429 tells the queue, and the errors of a create that leaves
 * the queue unsent.
 */
import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { normalizeGeneration } from '../generation';
import { timing } from '../timing';
import { parseJson } from './answer';
import type { Connection } from './credentials';
import { accountKey } from './credentials';
import type { CreateAttempt, TooManyCause } from './createQueue';
import { createQueueFor, QueueCancelled, QueueWaitExceeded } from './createQueue';
import type { CallContext, HttpAnswer } from './errors';
import { cancelledError, markNotCreated, serverMessage } from './errors';
import type { SendResult } from './retry';
import { retryAfterOf } from './retry';

export interface QueueSettings {
	/** The account's creates per minute (a sliding window). */
	perMinute: number;
	/** Longest wait for a turn, in ms. */
	maxWaitMs: number;
	/** Told when the create has to wait (position 1 = next out, expected wait in ms). */
	onWait?: (position: number, expectedWaitMs: number) => void;
}

/**
 * Which of the account's limits a 429 names, from the server's message: the generations running
 * at once, the create rate, or neither said (docs/API.md §7 does not fix the wording).
 */
export function tooManyCause(body: unknown): TooManyCause {
	const { message } = serverMessage(body);
	if (/running|concurren|at once|simultaneous|parallel|in progress/i.test(message)) return 'running';
	if (/rate limit|per minute|create requests/i.test(message)) return 'window';
	return 'unknown';
}

/** The id an accepted create's answer names, when it can be read (the request loop reads it properly later). */
function createdId(answer: HttpAnswer): string | undefined {
	try {
		return normalizeGeneration(parseJson(answer.body)).id;
	} catch {
		return undefined;
	}
}

/**
 * One send of a create through the account's queue: it leaves in arrival order as the account's
 * limits allow, and a 429 (never billed) puts it back at the head of the line instead of failing
 * it. Resolves with the send's result (any other status, or a network failure). Rejects, marked
 * not created, when the execution is cancelled or Max Wait in Create Queue passes while it waits.
 */
export async function sendQueued(
	ctx: IExecuteFunctions,
	conn: Connection,
	settings: QueueSettings,
	deadline: number,
	call: CallContext,
	send: () => Promise<SendResult>,
): Promise<SendResult> {
	try {
		return await createQueueFor(accountKey(conn)).run<SendResult>(
			{ perMinute: settings.perMinute, signal: ctx.getExecutionCancelSignal?.(), deadline, onWait: settings.onWait },
			async (): Promise<CreateAttempt<SendResult>> => {
				const sent = await send();
				if ('answer' in sent && sent.answer.status === 429) {
					const cause = tooManyCause(sent.answer.body);
					ctx.logger.debug(`${call.what}: HTTP 429 (${cause} limit), the account's create queue pauses`);
					return { tooMany: true, retryAfterMs: retryAfterOf(sent), cause };
				}
				const ok = 'answer' in sent && sent.answer.status >= 200 && sent.answer.status < 300;
				return { tooMany: false, result: sent, generationId: ok ? createdId(sent.answer) : undefined };
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
