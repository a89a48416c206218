/**
 * Reads shared by every Luma Wait run in this n8n process (docs/API.md §3, §4.2, §9.5).
 *
 * Whatever execution a run belongs to, its ids join the reads of every other run waiting with the
 * same account (Base URL and key, so a generation is read only with its creator's key):
 * - on the Luma endpoint, ids waiting for the same state share one fetch-many long poll per 50 ids
 *   (a `LongPollGroup`), so 50 executions waiting at once hold one request, not 50;
 * - on the unified API, every run waiting for one id shares one schedule (a `SteadySchedule`), so
 *   the process never asks about an id more often than once per `VideoApi.pollEveryMs`.
 *
 * A run's wait is a `Ticket`: it ends when its id reaches its target (or fails finally), or when
 * its run leaves (its execution is cancelled or its Max Wait ends). A read goes out with the
 * credential of one run still waiting (the one whose Max Wait ends last), but on a cancel signal of
 * its own: one execution's Stop never cuts a read the others wait on; the read is let go only when
 * nobody waits on it any more.
 */
import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import type { Generation, LumaState } from '../shared/generation';
import { generationUuid, hasReached } from '../shared/generation';
import { pause, timing } from '../shared/timing';
import type { VideoApi } from '../shared/transport';
import { APIS, BATCH_REFUSED, fetchGeneration, fetchGenerations, generationEnded, isTransient } from '../shared/transport';

/** How one id's wait ended for one run. */
export type WaitOutcome =
	| { kind: 'reached'; generation: Generation }
	| { kind: 'timedOut'; lastState: LumaState | null; lastError: string | null }
	| { kind: 'error'; error: Error };

/** Ids in one fetch-many request (the node's Batch Size of the run that opened the group; default 50). */
const DEFAULT_BATCH_SIZE = 50;

/** Reads of single ids running at once, per account, where fetch-many is not available. */
const SINGLE_READS_AT_ONCE = 10;

/**
 * Runs async work with at most `limit` pieces at once, in arrival order. Used for the single reads
 * and for Luma Wait's downloads.
 */
export class Limiter {
	private free: number;

	private readonly queue: Array<() => void> = [];

	constructor(limit: number) {
		this.free = limit;
	}

	/** Runs `work` once a place is free; resolves or rejects as `work` does. */
	async run<T>(work: () => Promise<T>): Promise<T> {
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

/**
 * The pauses after reads that brought nothing new: `timing.pollPauseMinMs` (1 s) doubling up to
 * `timing.pollPauseMaxMs` (5 s), counted from when the read was sent, never past `deadline`.
 */
export class Backoff {
	private nextMs = timing.pollPauseMinMs;

	/** Back to the shortest pause (something happened). */
	reset(): void {
		this.nextMs = timing.pollPauseMinMs;
	}

	/** The next pause (less what passed since `since`, ms since epoch), in ms; lengthens the one after. */
	next(since: number): number {
		const ms = this.nextMs - (Date.now() - since);
		this.nextMs = Math.min(this.nextMs * 2, timing.pollPauseMaxMs);
		return ms;
	}

	/** Waits the next pause (see `next`), never past `deadline` (ms since epoch), or less if `signal` aborts. */
	async wait(since: number, deadline: number, signal?: AbortSignal): Promise<void> {
		await pause(Math.min(this.next(since), deadline - Date.now()), signal);
	}
}

/** A run that reads: its context and the item whose credential the reads carry. */
export interface Reader {
	ctx: IExecuteFunctions;
	credentialItem: number;
}

/** One run's wait for one id. */
export class Ticket {
	lastState: LumaState | null = null;

	lastError: string | null = null;

	/** How the wait ended: unset when the run left without one (cancelled, or Max Wait over). */
	outcome?: WaitOutcome;

	/** Set once the run stopped waiting for this id: an outcome, a cancel, or Max Wait over. */
	left = false;

	/** The group whose reads this ticket waits on. */
	group?: Group;

	/** Resolves once the ticket has left. */
	readonly done: Promise<void>;

	private resolve!: () => void;

	constructor(
		/** The id as the run gave it. */
		readonly id: string,
		readonly target: LumaState,
		/** The run's Max Wait, in ms since epoch. */
		readonly deadline: number,
		readonly reader: Reader,
		/** Where else to ask when the API asked first does not know the id (docs/API.md §9.1). */
		public orElse?: VideoApi,
	) {
		this.done = new Promise<void>((resolve) => (this.resolve = resolve));
	}

	/** The run's execution was stopped, or its Max Wait is over: its reads are no longer needed. */
	get expired(): boolean {
		return this.reader.ctx.getExecutionCancelSignal?.()?.aborted === true || Date.now() >= this.deadline;
	}

	/** Stops waiting (the run's outcome, if any, is kept); the group lets go of reads nobody needs. */
	leave(): void {
		if (this.left) return;
		this.left = true;
		this.resolve();
		this.group?.left();
	}

	/** An answer saying the state: kept for a timed-out outcome, and the wait ends on the target. */
	seen(generation: Generation): void {
		if (this.left) return;
		this.lastState = generation.state;
		this.lastError = null;
		if (hasReached(generation.state, this.target)) {
			this.outcome = { kind: 'reached', generation };
			this.leave();
		}
	}

	/** A read failed but will be tried again: the reason is kept for a timed-out outcome. */
	troubled(error: Error): void {
		// A request cut short by Max Wait is no news about the server (n8n 1.x reports that cut as a network error).
		if (!this.left && Date.now() < this.deadline) this.lastError = error.message;
	}

	/** A final refusal ends this run's wait with that error, raised on the run's own node. */
	fail(error: Error): void {
		if (this.left || this.expired) return;
		// The read may have gone out with another run's context: the error names this run's node,
		// and keeps everything else (class, message, status, description).
		const own = Object.assign(Object.create(Object.getPrototypeOf(error) as object) as Error, error, { message: error.message, stack: error.stack });
		if ('node' in error) Object.defineProperty(own, 'node', { value: this.reader.ctx.getNode(), enumerable: true, configurable: true, writable: true });
		this.outcome = { kind: 'error', error: own };
		this.leave();
	}
}

/** The id as the grouping key: its bare UUID, so an id and its suffixed form are one generation. */
function idKey(id: string): string {
	return generationUuid(id) ?? id;
}

/** What every group does: keep its tickets, pick the run whose credential reads, let go when empty. */
export abstract class Group {
	protected readonly tickets = new Map<string, Ticket[]>();

	/** The reads in flight, each let go (aborted) when nobody waits on it any more or a newer read replaces it. */
	private readonly reads = new Set<AbortController>();

	private over = false;

	constructor(private readonly onEmpty: () => void) {}

	/** Adds a run's wait and makes sure it is read. */
	abstract join(ticket: Ticket): void;

	private pruning = false;

	/** Drops tickets that left; when none is left, lets every read in flight go and ends the group. */
	protected prune(): boolean {
		if (this.pruning) return this.tickets.size > 0;
		this.pruning = true;
		try {
			this.dropLeft();
		} finally {
			this.pruning = false;
		}
		if (this.tickets.size > 0) return true;
		for (const controller of this.reads) controller.abort();
		if (!this.over) this.onEmpty();
		this.over = true;
		return false;
	}

	private dropLeft(): void {
		for (const [key, list] of this.tickets) {
			// Runs whose Max Wait passed (the clock is read on every answer) or that were stopped.
			list.filter((ticket) => ticket.expired).forEach((ticket) => ticket.leave());
			const waiting = list.filter((ticket) => !ticket.left);
			if (waiting.length === 0) this.tickets.delete(key);
			else if (waiting.length !== list.length) this.tickets.set(key, waiting);
		}
	}

	/** Called when one of a run's tickets left (cancel, Max Wait): its reads may no longer be needed. */
	left(): void {
		this.prune();
	}

	/** Whether `key` still has runs waiting. */
	waiting(key: string): boolean {
		this.prune();
		return this.tickets.has(key);
	}

	/** The ticket whose run reads for `keys`: the one that will wait longest. */
	protected lender(keys: Iterable<string>): Ticket | undefined {
		let best: Ticket | undefined;
		for (const key of keys) {
			for (const ticket of this.tickets.get(key) ?? []) {
				if (!ticket.left && !ticket.expired && (!best || ticket.deadline > best.deadline)) best = ticket;
			}
		}
		return best;
	}

	/** The latest Max Wait of the runs waiting for `keys` (ms since epoch): a shared read may hold until then. */
	deadlineFor(keys: Iterable<string>): number {
		let deadline = 0;
		for (const key of keys) for (const ticket of this.tickets.get(key) ?? []) deadline = Math.max(deadline, ticket.deadline);
		return deadline;
	}

	/** A read's own cancel signal, aborted by `letGo` or when the group empties. */
	newRead(): AbortController {
		const controller = new AbortController();
		this.reads.add(controller);
		if (this.over) controller.abort();
		return controller;
	}

	/** Lets a read go: the request is closed, its answer dropped. */
	letGo(controller: AbortController): void {
		controller.abort();
		this.reads.delete(controller);
	}

	/**
	 * The lender's context with `signal` as its execution's cancel signal: the request is closed on
	 * the group's decision, not on the lender's Stop (the transport reads the signal from the context).
	 */
	protected readerContext(ticket: Ticket, signal: AbortSignal): IExecuteFunctions {
		return Object.create(ticket.reader.ctx, { getExecutionCancelSignal: { value: () => signal } }) as IExecuteFunctions;
	}

	/** Runs a read that rejects at once when `signal` aborts (n8n 1.x does not close a request on it: its late answer is dropped). */
	protected async guarded<T>(signal: AbortSignal, read: () => Promise<T>): Promise<T> {
		if (signal.aborted) throw new Error('let go');
		let onAbort = () => {};
		const aborted = new Promise<never>((_resolve, reject) => {
			onAbort = () => reject(new Error('let go'));
			signal.addEventListener('abort', onAbort, { once: true });
		});
		const work = read();
		work.catch(() => {});
		aborted.catch(() => {});
		try {
			return await Promise.race([work, aborted]);
		} finally {
			signal.removeEventListener('abort', onAbort);
		}
	}

	protected forEachTicket(key: string, act: (ticket: Ticket) => void): void {
		for (const ticket of [...(this.tickets.get(key) ?? [])]) act(ticket);
	}
}

const groups = new Map<string, Group>();

/** An answer saying a generation is over: the account's create queue no longer counts it as running. */
function noteEnded(account: string, generation: Generation): void {
	if (generation.state === 'completed' || generation.state === 'failed') generationEnded(account, generation.id);
}

function groupFor<T extends Group>(key: string, make: (onEmpty: () => void) => T): T {
	let group = groups.get(key) as T | undefined;
	if (!group) {
		group = make(() => {
			if (groups.get(key) === group) groups.delete(key);
		});
		groups.set(key, group);
	}
	return group;
}

/** Single reads per account (fetch-many refused, or an id asked on its own). */
const singleLimits = new Map<string, Limiter>();

function singleLimit(account: string): Limiter {
	let limiter = singleLimits.get(account);
	if (!limiter) singleLimits.set(account, (limiter = new Limiter(SINGLE_READS_AT_ONCE)));
	return limiter;
}

/**
 * Every run of this process waiting for ids of one account to reach one state on the Luma
 * endpoint. The ids are read in slices of `batchSize`, one fetch-many long poll per slice at a
 * time. Ids that join while a slice's read is held are gathered for a moment, then the read is
 * sent again with them (the server answers at once if any id already reached the state): one more
 * read for a burst of joins, instead of one read per run for the whole wait.
 */
class LongPollGroup extends Group {
	private readonly slices: Slice[] = [];

	/** The fetch-many endpoint is refused on this gateway: one long poll per id. */
	private batchRefused = false;

	/** Ids a fetch-many answer left out: asked about on their own from then on (docs/API.md §9.3). */
	private readonly alone = new Set<string>();

	/** Ids of a fetch-many refused as a whole (an unknown id among them): each asked once on its own, to name it. */
	private readonly isolated = new Set<string>();

	constructor(
		onEmpty: () => void,
		private readonly account: string,
		private readonly target: LumaState,
		private readonly batchSize: number,
	) {
		super(onEmpty);
	}

	join(ticket: Ticket): void {
		const key = idKey(ticket.id);
		const list = this.tickets.get(key);
		// Already asked about: the read in flight answers for this run too.
		if (list) return void list.push(ticket);
		this.tickets.set(key, [ticket]);
		let slice = this.slices.find((candidate) => candidate.running && candidate.keys.size < this.batchSize);
		if (!slice) {
			slice = new Slice(this);
			this.slices.push(slice);
		}
		slice.add(key);
	}

	/** A slice whose loop ended is forgotten. */
	sliceEnded(slice: Slice): void {
		this.slices.splice(this.slices.indexOf(slice), 1);
	}

	/** One read of a slice's ids, with its outcome for the slice's pace. */
	async read(keys: string[], controller: AbortController): Promise<'progressed' | 'nothing' | 'let go'> {
		const { signal } = controller;
		const lender = this.lender(keys);
		if (!lender) return 'let go';
		const ctx = this.readerContext(lender, signal);
		const options = { waitFor: this.target, deadline: this.deadlineFor(keys), credentialItem: lender.reader.credentialItem };
		const batch = this.batchRefused ? [] : keys.filter((key) => !this.alone.has(key) && !this.isolated.has(key));
		const singles = keys.filter((key) => !batch.includes(key));
		if (batch.length === 1) singles.push(batch.pop()!);
		const asked = (key: string) => this.tickets.get(key)?.[0]?.id ?? key;
		let progressed = false;

		const seen = (key: string, generation: Generation) => {
			noteEnded(this.account, generation);
			this.forEachTicket(key, (ticket) => {
				if (ticket.left) return;
				const before = ticket.lastState;
				ticket.seen(generation);
				// News, so no backoff before the next read: a wait ended (its ticket is pruned at once,
				// so this is the one place to see it), or a new state (a long poll may answer on any change).
				if (ticket.left || ticket.lastState !== before) progressed = true;
			});
		};
		const failed = (readKeys: string[], error: Error) => {
			if (signal.aborted) return;
			if (isTransient(error)) {
				readKeys.forEach((key) => this.forEachTicket(key, (ticket) => ticket.troubled(error)));
				return;
			}
			progressed = true;
			if (readKeys.length > 1) {
				// A final refusal of several ids: each is asked on its own next, so an error names its id.
				readKeys.forEach((key) => this.isolated.add(key));
				return;
			}
			this.forEachTicket(readKeys[0], (ticket) => {
				if (ticket.orElse && error instanceof NodeApiError && error.httpCode === '404') {
					// Unknown on the Luma endpoint: it was made on the unified API (docs/API.md §9.1).
					const other = ticket.orElse;
					ticket.orElse = undefined;
					this.tickets.set(readKeys[0], (this.tickets.get(readKeys[0]) ?? []).filter((kept) => kept !== ticket));
					joinSteady(this.account, ticket, other);
				} else ticket.fail(error);
			});
		};

		const reads: Array<Promise<void>> = [];
		if (batch.length > 0) {
			reads.push(
				this.guarded(signal, () => fetchGenerations(ctx, batch.map(asked), options)).then(
					(answer) => {
						if (answer === BATCH_REFUSED) {
							this.batchRefused = true;
							progressed = true;
							lender.reader.ctx.logger.info('Luma Wait: the fetch-many endpoint was refused; fetching generations one by one');
							return;
						}
						const answered = new Set<string>();
						for (const generation of answer) {
							const key = idKey(generation.id);
							if (!batch.includes(key) || answered.has(key)) continue;
							answered.add(key);
							seen(key, generation);
						}
						// Ids the answer left out are asked about on their own (docs/API.md §9.3).
						const missing = batch.filter((key) => !answered.has(key));
						missing.forEach((key) => this.alone.add(key));
						if (missing.length > 0) progressed = true;
					},
					(error: Error) => failed(batch, error),
				),
			);
		}
		const limit = singleLimit(this.account);
		for (const key of singles) {
			reads.push(
				limit
					.run(() => this.guarded(signal, () => fetchGeneration(ctx, asked(key), { api: APIS.luma, ...options })))
					.then(
						// A one-id fetch answers for that id, whatever form of the id the server echoes.
						(generation) => {
							// Known after all: back into the shared read.
							this.isolated.delete(key);
							seen(key, generation);
						},
						(error: Error) => failed([key], error),
					),
			);
		}
		await Promise.all(reads);
		this.prune();
		if (signal.aborted) return 'let go';
		return progressed ? 'progressed' : 'nothing';
	}
}

/** Up to `batchSize` ids of a `LongPollGroup`, read by one loop, one read at a time. */
class Slice {
	readonly keys = new Set<string>();

	running = false;

	/** Ids joined since the read in flight was sent. */
	private joined = false;

	private wake: () => void = () => {};

	/** Ends the slice's pause early: a run joined, and its ids are asked about at once. */
	private nap = new AbortController();

	constructor(private readonly group: LongPollGroup) {}

	add(key: string): void {
		this.keys.add(key);
		this.joined = true;
		this.wake();
		this.nap.abort();
		if (!this.running) {
			this.running = true;
			void this.loop();
		}
	}

	/** Pauses `ms`, or less if a run joins meanwhile. */
	private async rest(ms: number): Promise<void> {
		this.nap = new AbortController();
		if (this.joined) return;
		await pause(ms, this.nap.signal);
	}

	private async loop(): Promise<void> {
		const backoff = new Backoff();
		for (;;) {
			if (this.joined) {
				// Runs started together join a moment apart: one read for all of them.
				this.joined = false;
				await pause(timing.pollPauseMinMs / 4);
			}
			for (const key of this.keys) if (!this.group.waiting(key)) this.keys.delete(key);
			if (this.keys.size === 0) break;
			const keys = [...this.keys];
			const controller = this.group.newRead();
			const joined = new Promise<'joined'>((resolve) => (this.wake = () => resolve('joined')));
			const sentAt = Date.now();
			// A join lets the read in flight go: the next read carries the newcomers too, and the
			// server answers it at once for any id already there.
			const result = await Promise.race([this.group.read(keys, controller), joined]);
			this.wake = () => {};
			this.group.letGo(controller);
			if (result === 'joined' || result === 'let go') continue;
			const deadline = this.group.deadlineFor(this.keys);
			if (result === 'progressed') {
				backoff.reset();
				// A server that answers when *any* id is ready would otherwise get one request per
				// straggler finishing a moment later: let those land, then ask once for all of them.
				await this.rest(Math.min(timing.pollPauseMinMs, deadline - Date.now()));
			} else {
				// Nothing new, or trouble: never a tight loop, never past the last Max Wait.
				const left = backoff.next(sentAt);
				await this.rest(Math.min(left, deadline - Date.now()));
			}
		}
		this.running = false;
		this.group.sliceEnded(this);
	}
}

/**
 * Every run of this process waiting for one id of one account on an API without a long poll:
 * one read every `pollEveryMs`, whatever the number of runs and their targets.
 */
class SteadySchedule extends Group {
	private running = false;

	constructor(
		onEmpty: () => void,
		private readonly account: string,
		private readonly api: VideoApi,
	) {
		super(onEmpty);
	}

	join(ticket: Ticket): void {
		const key = idKey(ticket.id);
		this.tickets.set(key, [...(this.tickets.get(key) ?? []), ticket]);
		if (!this.running) {
			this.running = true;
			void this.loop(key);
		}
	}

	private async loop(key: string): Promise<void> {
		while (this.waiting(key)) {
			const lender = this.lender([key])!;
			const controller = this.newRead();
			const options = { api: this.api, deadline: this.deadlineFor([key]), credentialItem: lender.reader.credentialItem };
			const ctx = this.readerContext(lender, controller.signal);
			try {
				const generation = await singleLimit(this.account).run(() => this.guarded(controller.signal, () => fetchGeneration(ctx, lender.id, options)));
				noteEnded(this.account, generation);
				this.forEachTicket(key, (ticket) => ticket.seen(generation));
			} catch (error) {
				if (!controller.signal.aborted) {
					if (isTransient(error)) this.forEachTicket(key, (ticket) => ticket.troubled(error as Error));
					else this.forEachTicket(key, (ticket) => ticket.fail(error as Error));
				}
			}
			this.letGo(controller);
			if (!this.waiting(key)) break;
			await pause(Math.min(this.api.pollEveryMs ?? timing.unifiedPollMs, this.deadlineFor([key]) - Date.now()));
		}
		this.running = false;
	}
}

/**
 * Waits for `ticket`'s id on the Luma endpoint, sharing reads with every run of this process
 * waiting with the same account (`account`, from `accountKey`) for the same state.
 */
export function joinLongPoll(account: string, ticket: Ticket, batchSize = DEFAULT_BATCH_SIZE): Group {
	const group = groupFor(`luma ${account} ${ticket.target}`, (onEmpty) => new LongPollGroup(onEmpty, account, ticket.target, batchSize));
	ticket.group = group;
	group.join(ticket);
	return group;
}

/** Waits for `ticket`'s id on `api` (no long poll), on the one schedule this process keeps for that id and account. */
export function joinSteady(account: string, ticket: Ticket, api: VideoApi): Group {
	const group = groupFor(`${api.name} ${account} ${idKey(ticket.id)}`, (onEmpty) => new SteadySchedule(onEmpty, account, api));
	ticket.group = group;
	group.join(ticket);
	return group;
}

/** Groups waiting right now (for tests: none once every run has ended). */
export function sharedGroups(): number {
	return groups.size;
}
