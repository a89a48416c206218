/**
 * One Luma Wait run's wait for its ids, each on the API it lives on (docs/API.md §9.5).
 *
 * The reads themselves are shared with every other run of this process waiting with the same
 * account (`sharedReads.ts`): on the Luma endpoint one fetch-many long poll per 50 ids for all of
 * them, on the unified API one schedule per id. This run only joins, and leaves when its ids are
 * done, its Max Wait is over, or its execution is stopped. The client checks every state itself
 * (`hasReached`); a read that brought nothing new is followed by a growing pause, never a tight loop.
 */
import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import type { LumaState } from '../shared/generation';
import { generationUuid } from '../shared/generation';
import { pause } from '../shared/timing';
import type { GenerationHome, VideoApi } from '../shared/transport';
import { accountKey, apiForGeneration, APIS, BATCH_REFUSED, connection, fetchGeneration, fetchGenerations, isTransient } from '../shared/transport';
import type { WaitOutcome } from './sharedReads';
import { Backoff, joinLongPoll, joinSteady, Ticket } from './sharedReads';

export type { WaitOutcome } from './sharedReads';

export interface PollSettings {
	target: LumaState;
	/** Max Wait, in ms since epoch. */
	deadline: number;
	/** Ids per fetch-many request. */
	batchSize: number;
	/** An item whose credential is the account of every id waited for (reads go with that key). */
	credentialItem: number;
	/** Ask once for the state as it is now, without holding, and end (a tool call whose turn has no wait left). */
	once?: boolean;
}

export class GenerationPoller {
	private readonly signal?: AbortSignal;

	/** The API each id was found on (see `apiOf`). */
	private readonly homes = new Map<string, VideoApi>();

	constructor(
		private readonly ctx: IExecuteFunctions,
		private readonly settings: PollSettings,
	) {
		this.signal = ctx.getExecutionCancelSignal?.();
	}

	/**
	 * Waits for every id (distinct ids expected) and says how each one ended: reached (the
	 * target or a later state), an error (a final refusal, e.g. an unknown id), or timed out with
	 * the last state and read error seen. `hints` may say which API an id was created on (the
	 * `api` field Luma Generate output next to it). Never throws; a cancelled run's ids time out.
	 */
	async waitFor(ids: string[], hints: Map<string, unknown> = new Map()): Promise<Map<string, WaitOutcome>> {
		const { target, deadline, credentialItem, once } = this.settings;
		const outcomes = new Map<string, WaitOutcome>();
		const account = accountKey(await connection(this.ctx, credentialItem));
		const tickets: Ticket[] = [];
		const reader = { ctx: this.ctx, credentialItem };
		await Promise.all(
			ids.map(async (id) => {
				const home = await this.apiOf(id, hints.get(id), outcomes);
				if (!home) return;
				const ticket = new Ticket(id, target, deadline, reader, home.orElse);
				tickets.push(ticket);
				if (once) return;
				if (home.api.longPoll) joinLongPoll(account, ticket, this.settings.batchSize);
				else joinSteady(account, ticket, home.api);
			}),
		);
		if (once) await this.readOnce(tickets);
		else await this.untilDone(tickets);

		for (const ticket of tickets) {
			ticket.leave();
			const outcome = ticket.outcome ?? { kind: 'timedOut', lastState: ticket.lastState, lastError: ticket.lastError };
			outcomes.set(ticket.id, outcome);
		}
		return outcomes;
	}

	/** Until every ticket has left, Max Wait is over, or the execution is stopped. */
	private async untilDone(tickets: Ticket[]): Promise<void> {
		const stop = new AbortController();
		const onAbort = () => stop.abort();
		this.signal?.addEventListener('abort', onAbort, { once: true });
		try {
			await Promise.race([Promise.all(tickets.map((ticket) => ticket.done)), pause(this.settings.deadline - Date.now(), stop.signal)]);
		} finally {
			this.signal?.removeEventListener('abort', onAbort);
			// Ends the Max Wait pause's timer (n8n 2.x clears it on abort).
			stop.abort();
		}
	}

	/** One read of each id as it is now, without holding (a tool call with no wait left); not shared. */
	private async readOnce(tickets: Ticket[]): Promise<void> {
		const { deadline, credentialItem } = this.settings;
		const byId = new Map(tickets.map((ticket) => [generationUuid(ticket.id) ?? ticket.id, ticket]));
		const read = async (ticket: Ticket, api: VideoApi): Promise<void> => {
			try {
				ticket.seen(await fetchGeneration(this.ctx, ticket.id, { api, deadline, credentialItem }));
			} catch (error) {
				if (ticket.orElse && error instanceof NodeApiError && error.httpCode === '404') {
					const other = ticket.orElse;
					ticket.orElse = undefined;
					return await read(ticket, other);
				}
				if (isTransient(error)) ticket.troubled(error as Error);
				else ticket.fail(error as Error);
			}
		};
		const home = (ticket: Ticket) => this.homes.get(ticket.id) ?? APIS.luma;
		const batch = tickets.filter((ticket) => home(ticket).longPoll);
		if (batch.length > 1) {
			const answer = await fetchGenerations(this.ctx, batch.map((ticket) => ticket.id), { deadline, credentialItem }).catch(() => BATCH_REFUSED);
			if (Array.isArray(answer)) for (const generation of answer) byId.get(generationUuid(generation.id) ?? generation.id)?.seen(generation);
		}
		// Ids the batch did not answer (or every id, without one) are read one by one.
		await Promise.all(tickets.filter((ticket) => ticket.lastState === null).map((ticket) => read(ticket, home(ticket))));
	}


	/**
	 * The API an id lives on (usually known without a request). A gateway that cannot be reached
	 * right now is asked again, as a read would be, until Max Wait; a final refusal (e.g. the key)
	 * ends the id with that error in `outcomes`. Undefined when the id is done with.
	 */
	private async apiOf(id: string, hint: unknown, outcomes: Map<string, WaitOutcome>): Promise<GenerationHome | undefined> {
		const backoff = new Backoff();
		const { deadline, credentialItem } = this.settings;
		let lastError: string | null = null;
		while (this.signal?.aborted !== true && Date.now() < deadline) {
			const askedAt = Date.now();
			try {
				const home = await apiForGeneration(this.ctx, id, hint, credentialItem);
				this.homes.set(id, home.api);
				return home;
			} catch (error) {
				if (this.signal?.aborted) break;
				if (!isTransient(error)) {
					if (Date.now() < deadline) outcomes.set(id, { kind: 'error', error: error as Error });
					return undefined;
				}
				if (Date.now() < deadline) lastError = (error as Error).message;
			}
			await backoff.wait(askedAt, deadline, this.signal);
		}
		outcomes.set(id, { kind: 'timedOut', lastState: null, lastError });
		return undefined;
	}
}
