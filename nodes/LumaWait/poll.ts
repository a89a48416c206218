/**
 * Waits for many generations at once, each on the API it lives on.
 *
 * With the Luma endpoint's long poll (docs/API.md §3, §9.2, §9.3), ids are asked about in batches
 * with the fetch-many endpoint; each batch has its own loop and ids leave it as they reach the
 * target. The client checks the state itself: a reply that came back early with nothing new is
 * followed by a growing pause, never a tight loop. If the batch endpoint is refused, ids are
 * fetched one by one.
 *
 * The unified API (docs/API.md §4.2) has neither: each generation is asked about at a steady pace
 * (`VideoApi.pollEveryMs`), a few requests at a time.
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import type { Generation, LumaState } from '../shared/generation';
import { generationUuid, hasReached } from '../shared/generation';
import { pause, timing } from '../shared/timing';
import { NodeApiError } from 'n8n-workflow';

import type { GenerationHome, VideoApi } from '../shared/transport';
import { apiForGeneration, APIS, BATCH_REFUSED, fetchGeneration, fetchGenerations, isTransient, rememberHome } from '../shared/transport';

/** Long polls of single ids running at once, when the batch endpoint is refused. */
const SINGLE_FETCH_CONCURRENCY = 10;

export type WaitOutcome =
	| { kind: 'reached'; generation: Generation }
	| { kind: 'timedOut'; lastState: LumaState | null; lastError: string | null }
	| { kind: 'error'; error: Error };

export interface PollSettings {
	target: LumaState;
	deadline: number;
	batchSize: number;
	/** An item whose credential is the account of every id waited for (reads go with that key). */
	credentialItem: number;
	/** Ask once for the state as it is now, without holding, and end (a tool call whose turn has no wait left). */
	once?: boolean;
}

class Slots {
	private free: number;

	private readonly queue: Array<() => void> = [];

	constructor(count: number) {
		this.free = count;
	}

	async use<T>(work: () => Promise<T>): Promise<T> {
		if (this.free > 0) this.free--;
		else await new Promise<void>((resolve) => this.queue.push(resolve));
		try {
			return await work();
		} finally {
			const next = this.queue.shift();
			if (next) next();
			else this.free++;
		}
	}
}

function sameGeneration(a: string, b: string): boolean {
	return a === b || (generationUuid(a) !== undefined && generationUuid(a) === generationUuid(b));
}

export class GenerationPoller {
	private readonly outcomes = new Map<string, WaitOutcome>();

	private readonly lastState = new Map<string, LumaState>();

	private readonly lastError = new Map<string, string>();

	private readonly loops: Array<Promise<void>> = [];

	private readonly singles = new Slots(SINGLE_FETCH_CONCURRENCY);

	private batchRefused = false;

	/** Ids whose API is a guess (the gateway serves both): where to ask when the first says 404. */
	private readonly orElse = new Map<string, VideoApi>();

	private readonly signal?: AbortSignal;

	constructor(
		private readonly ctx: IExecuteFunctions,
		private readonly settings: PollSettings,
	) {
		this.signal = ctx.getExecutionCancelSignal?.();
	}

	/**
	 * Waits for every id (distinct ids expected) and says how each one ended. `hints` may say
	 * which API an id was created on (the `api` field Luma Generate output next to it).
	 */
	async waitFor(ids: string[], hints: Map<string, unknown> = new Map()): Promise<Map<string, WaitOutcome>> {
		const onLuma: string[] = [];
		await Promise.all(
			ids.map(async (id) => {
				const home = await this.apiOf(id, hints.get(id));
				if (!home) return;
				if (home.orElse) this.orElse.set(id, home.orElse);
				if (home.api.longPoll) onLuma.push(id);
				else this.loops.push(this.steadyLoop(id, home.api));
			}),
		);
		const batches: string[][] = [];
		const ordered = ids.filter((id) => onLuma.includes(id));
		for (let i = 0; i < ordered.length; i += this.settings.batchSize) {
			batches.push(ordered.slice(i, i + this.settings.batchSize));
		}
		batches.forEach((batch) => this.startLoop(batch));
		// Loops may start further loops (fall-back, ids missing from an answer): wait for all.
		for (let i = 0; i < this.loops.length; i++) await this.loops[i];
		for (const id of ids) {
			if (!this.outcomes.has(id)) {
				this.outcomes.set(id, {
					kind: 'timedOut',
					lastState: this.lastState.get(id) ?? null,
					lastError: this.lastError.get(id) ?? null,
				});
			}
		}
		return this.outcomes;
	}

	private startLoop(ids: string[]): void {
		this.loops.push(this.loop(ids));
	}

	/** ms left until Max Wait. */
	private untilDeadline(): number {
		return this.settings.deadline - Date.now();
	}

	private get stopped(): boolean {
		return this.signal?.aborted === true || Date.now() >= this.settings.deadline;
	}

	private async fetch(ids: string[]): Promise<Generation[] | typeof BATCH_REFUSED> {
		const { deadline } = this.settings;
		const waitFor = this.settings.once ? undefined : this.settings.target;
		if (ids.length > 1 && !this.batchRefused) {
			return await fetchGenerations(this.ctx, ids, { waitFor, deadline, credentialItem: this.settings.credentialItem });
		}
		return [
			await this.singles.use(() =>
				fetchGeneration(this.ctx, ids[0], { api: APIS.luma, waitFor, deadline, credentialItem: this.settings.credentialItem }),
			),
		];
	}

	/**
	 * The API an id lives on (usually known without a request). A gateway that cannot be reached
	 * right now is asked again, as a fetch would be, until Max Wait; a final refusal (e.g. the key)
	 * ends the id with that error. Undefined when the id is done with.
	 */
	private async apiOf(id: string, hint: unknown): Promise<GenerationHome | undefined> {
		let pauseMs = timing.pollPauseMinMs;
		while (!this.stopped) {
			try {
				return await this.singles.use(() => apiForGeneration(this.ctx, id, hint, this.settings.credentialItem));
			} catch (error) {
				if (this.signal?.aborted) return undefined;
				if (this.failed([id], error)) {
					if (!this.stopped) this.outcomes.set(id, { kind: 'error', error: error as Error });
					return undefined;
				}
			}
			await pause(Math.min(pauseMs, this.settings.deadline - Date.now()), this.signal);
			pauseMs = Math.min(pauseMs * 2, timing.pollPauseMaxMs);
		}
		return undefined;
	}

	/** Notes a failed read; true when the id is done with (a final refusal ends it with that error). */
	private failed(ids: string[], error: unknown): boolean {
		// A request cut short by Max Wait is no news about the server (n8n 1.x reports that cut
		// as a network error, not as a timeout).
		const cutByDeadline = Date.now() >= this.settings.deadline;
		if (isTransient(error) && !cutByDeadline) ids.forEach((id) => this.lastError.set(id, (error as Error).message));
		return !isTransient(error);
	}

	/** Where there is no long poll: one id, asked about at the API's steady pace until it is done. */
	private async steadyLoop(id: string, api: VideoApi): Promise<void> {
		const { target, deadline, credentialItem } = this.settings;
		while (!this.stopped) {
			try {
				const generation = await this.singles.use(() => fetchGeneration(this.ctx, id, { api, deadline, credentialItem }));
				this.lastState.set(id, generation.state);
				this.lastError.delete(id);
				if (hasReached(generation.state, target)) {
					this.outcomes.set(id, { kind: 'reached', generation });
					return;
				}
			} catch (error) {
				if (this.signal?.aborted) return;
				if (this.failed([id], error)) {
					if (!this.stopped) this.outcomes.set(id, { kind: 'error', error: error as Error });
					return;
				}
			}
			if (this.settings.once) return;
			await pause(Math.min(api.pollEveryMs ?? timing.unifiedPollMs, deadline - Date.now()), this.signal);
		}
	}

	private async loop(ids: string[]): Promise<void> {
		let pending = [...ids];
		let pauseMs = timing.pollPauseMinMs;
		while (pending.length > 0 && !this.stopped) {
			const askedAt = Date.now();
			let answers: Generation[];
			try {
				const result = await this.fetch(pending);
				if (result === BATCH_REFUSED) {
					this.batchRefused = true;
					this.ctx.logger.info('Luma Wait: the fetch-many endpoint was refused; fetching generations one by one');
					pending.forEach((id) => this.startLoop([id]));
					return;
				}
				answers = result;
			} catch (error) {
				if (this.signal?.aborted) return;
				const final = this.failed(pending, error);
				if (this.stopped) return;
				if (final) {
					// A final refusal (unknown id, bad key): these ids end with that error.
					if (pending.length > 1 && !this.batchRefused) {
						pending.forEach((id) => this.startLoop([id]));
					} else {
						for (const id of pending) {
							const other = this.orElse.get(id);
							this.orElse.delete(id);
							if (other && error instanceof NodeApiError && error.httpCode === '404') {
								// Unknown on the Luma endpoint: it was made on the unified API.
								await rememberHome(this.ctx, id, other.name, this.settings.credentialItem);
								this.loops.push(this.steadyLoop(id, other));
							} else this.outcomes.set(id, { kind: 'error', error: error as Error });
						}
					}
					return;
				}
				if (this.settings.once) return;
				await pause(Math.min(pauseMs, this.untilDeadline()), this.signal);
				pauseMs = Math.min(pauseMs * 2, timing.pollPauseMaxMs);
				continue;
			}

			let progressed = false;
			const answered = new Set<string>();
			for (const generation of answers) {
				// A one-id fetch answers for that id, whatever form of the id the server echoes.
				const id =
					pending.length === 1 && answers.length === 1
						? pending[0]
						: pending.find((candidate) => sameGeneration(candidate, generation.id));
				if (id === undefined) continue;
				answered.add(id);
				this.lastState.set(id, generation.state);
				this.lastError.delete(id);
				if (hasReached(generation.state, this.settings.target)) {
					this.outcomes.set(id, { kind: 'reached', generation });
					progressed = true;
				}
			}
			// Ids the batch answer left out are asked about on their own.
			const missing = pending.filter((id) => !answered.has(id));
			if (missing.length > 0 && pending.length > 1) missing.forEach((id) => this.startLoop([id]));
			pending = pending.filter((id) => answered.has(id) && !this.outcomes.has(id));
			if (this.settings.once) return;

			if (progressed) {
				pauseMs = timing.pollPauseMinMs;
				// A server that answers when *any* id is ready would otherwise get one request per
				// straggler finishing a moment later: let those land, then ask once for all of them.
				if (pending.length > 0) await pause(Math.min(timing.pollPauseMinMs, this.untilDeadline()), this.signal);
			} else {
				// Nothing new: if the server did not hold the request, do not ask again at once.
				// Never past Max Wait: near it a read is answered at once (see holdFor in the transport).
				await pause(Math.min(pauseMs - (Date.now() - askedAt), this.untilDeadline()), this.signal);
				pauseMs = Math.min(pauseMs * 2, timing.pollPauseMaxMs);
			}
		}
	}
}
