/**
 * The account's create queue: every create of one account (API key + base URL) in this n8n
 * process waits for its turn here, whichever execution, node run or AI Agent tool call sends it.
 * Creates leave in arrival order, at the account's rate; a 429 pauses the whole queue and puts
 * the refused create back at the head of the line, so a 429 never fails a create.
 *
 * One loop (`pump`) decides when the next create leaves; it runs only while creates wait and
 * sleeps with `pause` until the next departure or the earliest deadline, whichever comes first.
 */
import { pause, timing } from '../timing';

/** What one send of a create came to: refused with 429 (certainly not created), or an answer. */
export type Attempt<T> = { tooMany: true; retryAfterMs?: number } | { tooMany: false; result: T };

export interface TurnOptions {
	/** Creates per minute for this account (the node's Creates per Minute); while creates with different values wait, the lowest wins. */
	perMinute: number;
	/** The execution's cancel signal: a waiting create leaves at once and is never sent after. */
	signal?: AbortSignal;
	/** ms since epoch: still waiting then, the create leaves unsent with QueueWaitExceeded. Infinity for no limit. */
	deadline: number;
	/**
	 * Told when this create has to wait: its position (1 = next out) and the expected wait in ms.
	 * Called when it starts waiting and again each time the queue pauses for a 429.
	 */
	onWait?: (position: number, expectedWaitMs: number) => void;
}

/** The create waited in the queue until its execution was cancelled: it was never accepted (nothing billed). */
export class QueueCancelled extends Error {
	constructor() {
		super('Cancelled while waiting for its turn in the create queue: not sent');
		this.name = 'QueueCancelled';
	}
}

/** The create was still waiting at its deadline: it was never accepted (nothing billed). */
export class QueueWaitExceeded extends Error {
	constructor(
		/** How long it waited, in ms. */
		readonly waitedMs: number,
		/** Its place in the line when it left (1 = next out). */
		readonly position: number,
		/** How many times the server answered it 429 meanwhile. */
		readonly tooManyCount: number,
	) {
		super(
			`Still waiting for its turn in the create queue after ${Math.round(waitedMs / 1000)} s (position ${position}): not sent`,
		);
		this.name = 'QueueWaitExceeded';
	}
}

interface Entry {
	/** Arrival number: the line stays sorted by it, also when a refused create comes back. */
	seq: number;
	options: TurnOptions;
	send: () => Promise<Attempt<unknown>>;
	resolve: (result: unknown) => void;
	reject: (reason: unknown) => void;
	arrivedAt: number;
	/** How many 429 pauses the queue had decided when this create was last sent. */
	pausesBefore: number;
	tooManyCount: number;
	onAbort: () => void;
}

export class CreateQueue {
	/** Creates waiting for their turn, in arrival order (head first). */
	private readonly line: Entry[] = [];
	private arrivals = 0;
	private lastSentAt = -Infinity;
	/** When the latest 429 pause ends; how many pauses there were (a refused create's news is older when it was sent before the latest). */
	private pausedUntil = -Infinity;
	private pauses = 0;
	/** 429s without Retry-After since the last accepted create: the backoff grows with them. */
	private backoffs = 0;
	private pumping = false;
	private sleeping?: { until: number; wake: AbortController };

	/** Waiting creates (for logs and tests); creates being sent are not counted. */
	get waiting(): number {
		return this.line.length;
	}

	/**
	 * Sends one create when its turn comes: creates leave in arrival order, at most `perMinute`
	 * a minute for the whole account, and a create being sent does not hold up the next one.
	 * `send` is called once per turn. When it reports a 429 (`tooMany`), the whole queue pauses
	 * (Retry-After when given, capped at timing.retryMaxMs; else a backoff doubling from
	 * timing.retryBaseMs to timing.retryMaxMs, reset by the next accepted create) and this create
	 * goes back to the head of the line: a 429 never fails a create.
	 * Resolves with the `result` of the accepted attempt. Rejects with QueueCancelled on cancel and
	 * QueueWaitExceeded past the deadline, never sending after (both also when the create is back in
	 * line after a 429: either way the server never accepted it). Whatever `send` throws is passed
	 * through untouched and the create is never sent again (it may have reached the server).
	 * A `perMinute` not above 0 is a RangeError (nothing sent).
	 */
	run<T>(options: TurnOptions, send: () => Promise<Attempt<T>>): Promise<T> {
		return new Promise<T>((resolve, reject) => {
			if (!(options.perMinute > 0)) {
				reject(new RangeError(`Creates per minute must be above 0, got ${options.perMinute}`));
				return;
			}
			if (options.signal?.aborted) return reject(new QueueCancelled());
			const now = Date.now();
			if (now >= options.deadline) return reject(new QueueWaitExceeded(0, this.line.length + 1, 0));
			const entry: Entry = {
				seq: this.arrivals++,
				options,
				send,
				resolve: resolve as (result: unknown) => void,
				reject,
				arrivedAt: now,
				pausesBefore: 0,
				tooManyCount: 0,
				onAbort: () => {
					if (this.remove(entry)) entry.reject(new QueueCancelled());
				},
			};
			options.signal?.addEventListener('abort', entry.onAbort, { once: true });
			this.line.push(entry);
			this.schedule(); // sends it at once when it may leave now
			this.tell(entry, Date.now()); // only if it still waits
		});
	}

	/** The one place that decides when the next create may leave. */
	private nextSendAt(): number {
		return Math.max(this.lastSentAt + this.spacingMs(), this.pausedUntil);
	}

	/** The time between two creates: the lowest rate among the waiting ones wins. */
	private spacingMs(): number {
		let perMinute = Infinity;
		for (const entry of this.line) perMinute = Math.min(perMinute, entry.options.perMinute);
		return timing.minuteMs / perMinute;
	}

	/** When the pump must look again: the next departure or the earliest deadline. */
	private wakeAt(): number {
		let at = this.nextSendAt();
		for (const entry of this.line) at = Math.min(at, entry.options.deadline);
		return at;
	}

	/** After any change to the line: start the pump, or wake it when it sleeps too long or for nothing. */
	private schedule(): void {
		if (!this.pumping) void this.pump();
		else if (this.sleeping && (this.line.length === 0 || this.wakeAt() < this.sleeping.until)) this.sleeping.wake.abort();
	}

	private async pump(): Promise<void> {
		this.pumping = true;
		try {
			for (;;) {
				const now = Date.now();
				// A create whose turn came before its deadline leaves, even if this loop woke late.
				const head = this.line[0];
				if (head && this.nextSendAt() <= now && this.nextSendAt() < head.options.deadline) {
					this.dispatch(this.line.shift()!);
					continue;
				}
				this.expire(now);
				if (this.line.length === 0) return;
				if (this.nextSendAt() <= now) {
					this.dispatch(this.line.shift()!);
					continue;
				}
				const until = this.wakeAt();
				const wake = new AbortController();
				this.sleeping = { until, wake };
				// At most a minute at a time: a sleep cut short by `wake` may keep its timer until then.
				await pause(Math.min(until - now, timing.minuteMs), wake.signal);
				this.sleeping = undefined;
			}
		} finally {
			this.pumping = false;
		}
	}

	/** Creates still waiting at their deadline leave unsent. */
	private expire(now: number): void {
		for (const entry of this.line.filter((waiting) => now >= waiting.options.deadline)) {
			const position = this.line.indexOf(entry) + 1;
			this.remove(entry);
			entry.reject(new QueueWaitExceeded(now - entry.arrivedAt, position, entry.tooManyCount));
		}
	}

	private dispatch(entry: Entry): void {
		entry.pausesBefore = this.pauses;
		void this.attempt(entry); // calls `send` before it returns
		// Read after `send` started, so the next create leaves at least a full spacing after it.
		this.lastSentAt = Date.now();
	}

	private async attempt(entry: Entry): Promise<void> {
		let outcome: Attempt<unknown>;
		try {
			outcome = await entry.send();
		} catch (error) {
			this.finish(entry);
			entry.reject(error);
			return;
		}
		if (!outcome.tooMany) {
			if (entry.pausesBefore === this.pauses) this.backoffs = 0;
			this.finish(entry);
			entry.resolve(outcome.result);
			return;
		}

		entry.tooManyCount++;
		const now = Date.now();
		this.pauseFor(entry, outcome.retryAfterMs, now);
		if (entry.options.signal?.aborted) {
			this.finish(entry);
			entry.reject(new QueueCancelled());
		} else if (now >= entry.options.deadline) {
			this.finish(entry);
			entry.reject(new QueueWaitExceeded(now - entry.arrivedAt, 1, entry.tooManyCount));
		} else {
			// Back to the head of the line: before every create that arrived after it.
			const at = this.line.findIndex((waiting) => waiting.seq > entry.seq);
			this.line.splice(at === -1 ? this.line.length : at, 0, entry);
		}
		// A listener may cancel a create or add one: the line is read from a copy.
		for (const waiting of [...this.line]) this.tell(waiting, now);
		this.schedule();
	}

	/** A 429: nobody leaves before the pause ends. */
	private pauseFor(entry: Entry, retryAfterMs: number | undefined, now: number): void {
		// A create sent before the latest pause began was refused for the same reason: no new pause step.
		if (entry.pausesBefore === this.pauses) {
			this.pauses++;
			if (retryAfterMs === undefined) this.backoffs++;
		}
		const ms =
			retryAfterMs === undefined
				? timing.retryBaseMs * 2 ** Math.max(0, this.backoffs - 1)
				: Math.max(0, retryAfterMs);
		this.pausedUntil = Math.max(this.pausedUntil, now + Math.min(ms, timing.retryMaxMs));
	}

	/** Takes a waiting create out of the line; false when it was not waiting (being sent, or gone). */
	private remove(entry: Entry): boolean {
		const at = this.line.indexOf(entry);
		if (at === -1) return false;
		this.line.splice(at, 1);
		this.finish(entry);
		this.schedule();
		return true;
	}

	/** The create is done with the queue. */
	private finish(entry: Entry): void {
		entry.options.signal?.removeEventListener('abort', entry.onAbort);
	}

	private tell(entry: Entry, now: number): void {
		const index = this.line.indexOf(entry);
		if (!entry.options.onWait || index === -1) return;
		const expected = Math.max(0, this.nextSendAt() - now) + index * this.spacingMs();
		try {
			entry.options.onWait(index + 1, expected);
		} catch {
			// a listener's failure is not the queue's: the create keeps its place
		}
	}
}

/** One queue per account, for the life of the process. */
const queues = new Map<string, CreateQueue>();

/**
 * The one queue of an account in this process. `account` is an opaque key the caller builds from
 * the API key and base URL (a hash: it is kept in memory for the life of the process).
 */
export function createQueueFor(account: string): CreateQueue {
	let queue = queues.get(account);
	if (!queue) {
		queue = new CreateQueue();
		queues.set(account, queue);
	}
	return queue;
}
