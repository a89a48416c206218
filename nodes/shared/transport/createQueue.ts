/**
 * The account's create queue: every create of one account (API key + base URL) in this n8n
 * process waits for its turn here, whichever execution, node run or AI Agent tool call sends it.
 *
 * Creates leave in arrival order, as fast as the account allows (docs/API.md §7):
 * - **Creates per Minute** is a sliding window: while fewer creates than that left in the last
 *   minute, waiting creates leave at once, together; then each leaves as the oldest one in the
 *   window turns a minute old. A create counts from the moment its answer came back (the server
 *   counted it no later), or from when it left while its answer is still on its way.
 * - **Generations running at once** is learned, not configured: a 429 for running generations
 *   tells the queue how many of its own generations the account holds (`runningLimit`). From then
 *   on it sends no more than that many at once; at the limit it sends one create at a time (a
 *   probe: accepted, one generation must have ended; refused, the queue pauses). Luma Wait tells
 *   the queue when a generation ended (`generationEnded`), which frees a place at once; without
 *   it the probes and the server's Retry-After find the freed places.
 * - A learned limit and length are checked again, not kept for ever: at the limit one create goes
 *   above it (a growth probe) a tenth of a generation after the account's next end (a running 429's
 *   Retry-After), and no sooner than half a generation after the last refused probe. Accepted, the
 *   limit was higher (another process has nothing left to send, or the account grew): it rises by
 *   one and the next goes at once. Refused, the 429's Retry-After tells again how long generations
 *   run and when the next check goes. So queues of several processes on one account together find
 *   its limit, a place given up at a wave's end is taken within a tenth of a generation, and a
 *   length learned on other clips does not hold up shorter ones.
 * - A 429 for the create rate with Retry-After, when the account's window is tighter than Creates
 *   per Minute (another process creates on it too), teaches this queue its share of the window.
 *   Beyond the share one create at a time goes as a probe (accepted, the share grows by one and the
 *   next goes at once; refused, the next probe when the server takes creates again, as its
 *   Retry-After says), so a share grows back as soon as the other process stops, not a share's
 *   spacing later.
 * - A 429 pauses the whole queue (Retry-After when given, else a doubling backoff) and puts the
 *   refused create back in its place at the head of the line: a 429 never fails a create.
 *
 * One loop (`pump`) decides when the next create leaves; it runs only while creates wait and
 * sleeps with `pause` until the next departure, an answer, or the earliest deadline.
 */
import { pause, timing } from '../timing';

/** Which limit a 429 named: the create window, the generations running at once, or it did not say. */
export type TooManyCause = 'window' | 'running' | 'unknown';

/**
 * What one send of a create came to: refused with 429 (certainly not created), or an answer.
 * `generationId`: the id of the generation the answer created, when it has one (the queue counts
 * it as running until `generationEnded` names it).
 */
export type CreateAttempt<T> =
	| { tooMany: true; retryAfterMs?: number; cause?: TooManyCause }
	| { tooMany: false; result: T; generationId?: string };

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
	send: () => Promise<CreateAttempt<unknown>>;
	resolve: (result: unknown) => void;
	reject: (reason: unknown) => void;
	arrivedAt: number;
	/** How many 429 pauses the queue had decided when this create was last sent. */
	pausesBefore: number;
	/** How many times the running limit had been learned when this create was last sent. */
	lessonsBefore: number;
	/** How many of the queue's generations were running when it was last sent. */
	runningAtSend: number;
	/** Sent above the running limit to check it (see `growAt`). */
	growth: boolean;
	/** Sent beyond the learned create window to check it (see `departureAt`). */
	windowProbe: boolean;
	tooManyCount: number;
	onAbort: () => void;
}

/** What the queue knows of the account, for tests and logs. */
export interface QueueState {
	/** Creates waiting for their turn. */
	waiting: number;
	/** Creates sent whose answer has not come back. */
	inFlight: number;
	/** Generations this queue made that it does not know to have ended. */
	running: number;
	/** The running limit learned from 429s (Infinity until one said so). */
	runningLimit: number;
}

/** The bare id: a gateway may suffix it (`…:luma/ray-2`, docs/API.md §5.2). */
function bareId(id: string): string {
	return id.split(':')[0].toLowerCase();
}

export class CreateQueue {
	/** Creates waiting for their turn, in arrival order (head first). */
	private readonly line: Entry[] = [];
	private arrivals = 0;
	/** When each create of the recent window was answered (accepted, or it may have been). */
	private answeredAt: number[] = [];
	private inFlight = 0;
	/** Generations this queue made, not known to have ended: bare id → accepted at. */
	private readonly running = new Map<string, number>();
	private anonymous = 0;
	private runningLimit = Infinity;
	/**
	 * At the running limit, how many creates may be on their way at once: 1 after a refusal,
	 * doubled by each one accepted there (places freed unreported: a queue idle for a while finds
	 * all of them in a few round trips, not one by one).
	 */
	private probeWidth = 1;
	/**
	 * How long a generation runs, learned from a 429 for running generations with Retry-After (the
	 * time until the account's earliest end): the oldest generation of ours ends then. Undefined
	 * until learned.
	 */
	private generationMs?: number;
	/**
	 * The account's own create window, learned from a 429 for the create rate with Retry-After when
	 * it is tighter than Creates per Minute (another process creating on the account too, or a
	 * lower limit): as many creates as this queue had in it, per the time from the oldest of them
	 * to the moment the server takes one again.
	 */
	private learnedWindow?: { count: number; ms: number; until: number };
	/** How many times a 429 taught the running limit (a create sent before the lesson brings no news). */
	private lessons = 0;
	/**
	 * ms since epoch: from then on, at the running limit, one create may go above it (a growth
	 * probe). Set by each running 429 (`scheduleGrowth`); now after an accepted growth probe.
	 */
	private growAt = -Infinity;
	/** When the latest 429 pause ends; how many pauses there were (a refused create's news is older when it was sent before the latest). */
	private pausedUntil = -Infinity;
	/** Whether the latest pause was for running generations: a report of one ending then ends it. */
	private pausedForRunning = false;
	private pauses = 0;
	/** 429s without Retry-After since the last accepted create: the backoff grows with them. */
	private backoffs = 0;
	private pumping = false;
	private sleeping?: { until: number; wake: AbortController };

	/** Waiting creates (for logs and tests); creates being sent are not counted. */
	get waiting(): number {
		return this.line.length;
	}

	/** What the queue knows right now (a copy). */
	get state(): QueueState {
		return { waiting: this.line.length, inFlight: this.inFlight, running: this.running.size, runningLimit: this.runningLimit };
	}

	/**
	 * Sends one create when its turn comes: creates leave in arrival order, at most `perMinute`
	 * in any minute for the whole account (at once while the window has room), and no more at
	 * once than the running limit learned from 429s. A create being sent does not hold up the next.
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
	run<T>(options: TurnOptions, send: () => Promise<CreateAttempt<T>>): Promise<T> {
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
				lessonsBefore: 0,
				runningAtSend: 0,
				growth: false,
				windowProbe: false,
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

	/**
	 * A generation this queue made has ended (completed or failed): its place among the account's
	 * running generations is free, and generations of ours run no longer than it did (until a 429's
	 * Retry-After says otherwise). Ids this queue did not make, or already heard of, change nothing.
	 */
	ended(generationId: string): void {
		const id = bareId(generationId);
		const acceptedAt = this.running.get(id);
		if (acceptedAt === undefined) return;
		this.running.delete(id);
		// It ran at most this long: generations of ours ending sooner than learned free places sooner.
		this.generationMs = Math.min(this.generationMs ?? Infinity, Date.now() - acceptedAt);
		// The server refused for lack of a running place; one just freed.
		if (this.pausedForRunning) this.pausedUntil = Math.min(this.pausedUntil, Date.now());
		this.schedule();
	}

	/**
	 * The window the lowest waiting rate allows: `count` creates per `ms`. A rate under one a
	 * minute is one create per 1/perMinute minutes.
	 */
	private window(): { count: number; ms: number } {
		let perMinute = Infinity;
		for (const entry of this.line) perMinute = Math.min(perMinute, entry.options.perMinute);
		if (perMinute === Infinity) return { count: Infinity, ms: timing.minuteMs };
		const count = Math.max(1, Math.floor(perMinute));
		return { count, ms: (timing.minuteMs * count) / perMinute };
	}

	/**
	 * The one place that decides when the head of the line may leave: ≤ now means now (or the
	 * moment its turn came), Infinity means when an answer or a report comes.
	 */
	private departureAt(now: number): number {
		// A learned window holds for two of its lengths after the refusal that taught it: shares of
		// the account change as other processes start and stop creating.
		if (this.learnedWindow && now >= this.learnedWindow.until) this.learnedWindow = undefined;
		const configured = this.window();
		this.answeredAt = this.answeredAt.filter((at) => at > now - Math.max(configured.ms, this.learnedWindow?.ms ?? 0));
		const at = Math.max(this.pausedUntil, this.windowDeparture(configured, now));
		// A learned window is this queue's share as it was when the server refused: beyond it one create
		// at a time goes as a probe (accepted, the share grows by one and the next may go; refused, the
		// 429's Retry-After pauses the queue), so a share grows back as other processes stop creating.
		if (this.learnedWindow && this.windowDeparture(this.learnedWindow, now) > at && this.inFlight > 0) return Infinity;
		// At the running limit creates go as probes: accepted, a place had freed; refused, the 429's
		// Retry-After says when one will. (Waiting for reports instead would cost up to one of Luma
		// Wait's ask intervals per place on the unified API.) Once the generations' length is known,
		// as many go as generations of ours should have ended by now, else when the next should end;
		// before, one, then twice as many per acceptance.
		if (this.running.size + this.inFlight >= this.runningLimit) {
			// Once in a while one goes above the limit, to find places a learned limit or length hides.
			const grow = this.inFlight === 0 ? Math.max(at, this.growAt) : Infinity;
			return Math.min(grow, this.atLimitDeparture(now, at));
		}
		return at;
	}

	/**
	 * When a window lets the next create leave: once fewer than `count` are in it (sent, or
	 * answered within `ms`). -Infinity when it has room; Infinity when full of creates on their way.
	 */
	private windowDeparture({ count, ms }: { count: number; ms: number }, now: number): number {
		const inWindow = this.answeredAt.filter((answered) => answered > now - ms);
		const over = this.inFlight + inWindow.length - count;
		if (over < 0) return -Infinity;
		if (over >= inWindow.length) return Infinity;
		return inWindow[over] + ms;
	}

	/** At the running limit: when the head may leave as a probe for a place of ours that freed. */
	private atLimitDeparture(now: number, at: number): number {
		{
			if (this.generationMs === undefined) return this.inFlight >= this.probeWidth ? Infinity : at;
			let due = 0;
			let nextEnd = Infinity;
			for (const acceptedAt of this.running.values()) {
				if (acceptedAt + this.generationMs > now) {
					nextEnd = acceptedAt + this.generationMs;
					break; // accepted in order: the rest end later
				}
				due++;
			}
			if (this.inFlight < due) return at;
			return Math.max(at, nextEnd);
		}
	}

	/** Whether a create leaving now goes above the running limit (a growth probe, not one for a place of ours). */
	private isGrowth(now: number): boolean {
		if (this.running.size + this.inFlight < this.runningLimit) return false;
		return this.atLimitDeparture(now, this.pausedUntil) > now;
	}

	/** When the pump must look again: the next departure or the earliest deadline. */
	private wakeAt(now: number): number {
		let at = this.departureAt(now);
		for (const entry of this.line) at = Math.min(at, entry.options.deadline);
		return at;
	}

	/** After any change: start the pump, or wake it when it sleeps too long or for nothing. */
	private schedule(): void {
		if (!this.pumping) {
			if (this.line.length > 0) void this.pump();
		} else if (this.sleeping && (this.line.length === 0 || this.wakeAt(Date.now()) < this.sleeping.until)) {
			this.sleeping.wake.abort();
		}
	}

	private async pump(): Promise<void> {
		this.pumping = true;
		try {
			for (;;) {
				const now = Date.now();
				// A create whose turn came before its deadline leaves, even if this loop woke late.
				const head = this.line[0];
				if (head) {
					const at = this.departureAt(now);
					if (at <= now && at < head.options.deadline) {
						this.dispatch(this.line.shift()!, now);
						continue;
					}
				}
				this.expire(now);
				if (this.line.length === 0) return;
				if (this.departureAt(now) <= now) {
					this.dispatch(this.line.shift()!, now);
					continue;
				}
				const until = this.wakeAt(now);
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

	private dispatch(entry: Entry, now: number): void {
		entry.pausesBefore = this.pauses;
		entry.lessonsBefore = this.lessons;
		entry.runningAtSend = this.running.size;
		entry.growth = this.isGrowth(now);
		entry.windowProbe = this.learnedWindow !== undefined && this.windowDeparture(this.learnedWindow, now) > now;
		this.inFlight++;
		this.forgetOld(now);
		void this.attempt(entry); // calls `send` before it returns
	}

	/** Generations older than the longest a video takes are not running any more, reported or not. */
	private forgetOld(now: number): void {
		for (const [id, at] of this.running) {
			if (at > now - 30 * timing.minuteMs) break; // oldest first (insertion order)
			this.running.delete(id);
		}
	}

	private async attempt(entry: Entry): Promise<void> {
		let outcome: CreateAttempt<unknown>;
		try {
			outcome = await entry.send();
		} catch (error) {
			this.inFlight--;
			this.answeredAt.push(Date.now()); // it may have been accepted: it counts in the window
			this.finish(entry);
			entry.reject(error);
			this.schedule();
			return;
		}
		this.inFlight--;
		const now = Date.now();
		if (!outcome.tooMany) {
			if (entry.pausesBefore === this.pauses) this.backoffs = 0;
			if (entry.windowProbe && this.learnedWindow) {
				// Beyond the learned share and accepted: the share is larger now.
				this.learnedWindow.count++;
				if (this.learnedWindow.count >= this.window().count) this.learnedWindow = undefined;
			}
			this.answeredAt.push(now);
			this.countRunning(entry, outcome.generationId, now);
			this.finish(entry);
			entry.resolve(outcome.result);
			this.schedule();
			return;
		}

		entry.tooManyCount++;
		const forRunning = this.learn(entry, outcome.cause ?? 'unknown');
		if (forRunning && outcome.retryAfterMs !== undefined) {
			const oldest = this.running.values().next().value;
			if (oldest !== undefined) this.generationMs = Math.max(0, now + outcome.retryAfterMs - oldest);
		}
		if (forRunning) this.scheduleGrowth(entry, outcome.retryAfterMs, now);
		this.pauseFor(entry, outcome.retryAfterMs, now);
		if (!forRunning && outcome.retryAfterMs !== undefined && entry.pausesBefore + 1 === this.pauses) this.learnWindow(outcome.retryAfterMs, now);
		if (entry.pausesBefore + 1 === this.pauses) this.pausedForRunning = forRunning;
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

	/** An accepted create: one more generation running on the account. */
	private countRunning(entry: Entry, generationId: string | undefined, now: number): void {
		if (entry.growth && entry.lessonsBefore === this.lessons) {
			// Above the limit and accepted: the account holds more of ours than learned; look for the next place at once.
			this.runningLimit = Math.max(this.runningLimit, this.running.size + 1);
			this.growAt = now;
		} else if (this.running.size >= this.runningLimit) {
			if (entry.lessonsBefore === this.lessons) {
				// Accepted at the limit: one of ours must have ended meanwhile, unreported.
				const oldest = this.running.keys().next().value;
				if (oldest !== undefined) this.running.delete(oldest);
				this.probeWidth = Math.min(2 * this.probeWidth, this.runningLimit);
			} else {
				// Sent before the lesson and accepted after it: the limit is higher than learned.
				this.runningLimit = this.running.size + 1;
			}
		}
		this.running.set(generationId ? bareId(generationId) : `#${++this.anonymous}`, now);
	}

	/**
	 * A 429 for running generations: the account holds as many as this queue has running. True when the 429 was
	 * taken for the running limit. In queue mode another
	 * process's generations count too, so this is this queue's share; it is relearned each time.
	 */
	private learn(entry: Entry, cause: TooManyCause): boolean {
		// Only a 429 that names running generations teaches: a bare "Too many requests" may be any
		// limit of the gateway's, and is only waited out.
		if (cause !== 'running') return false;
		if (entry.lessonsBefore !== this.lessons) return true; // sent before the latest lesson: the same news
		// Reports may have come between the server's refusal and now: what ran when it was sent counts too.
		this.runningLimit = Math.max(1, this.running.size, entry.runningAtSend);
		this.lessons++;
		this.probeWidth = 1;
		return true;
	}

	/**
	 * After a running 429: when the next growth probe may go. Just after the account's next end
	 * (the 429's Retry-After) and its settle, a tenth of a generation, in which the owners of the
	 * ended generations take their places again: a place still free then is one another process gave
	 * up (it has nothing left to send), so a queue with creates left finds it at once, not half a
	 * generation later. No sooner than half a generation after a refused growth probe, so that
	 * ends spread over a generation are not each chased by a probe; and a refusal of an ordinary
	 * create (a place of ours sought a moment early) never brings the next probe forward.
	 */
	private scheduleGrowth(entry: Entry, retryAfterMs: number | undefined, now: number): void {
		const lengthMs = this.generationMs ?? timing.minuteMs;
		const floor = now + Math.max(lengthMs / 2, timing.retryBaseMs);
		if (retryAfterMs === undefined) {
			this.growAt = Math.max(this.growAt, floor);
			return;
		}
		const afterNextEnd = now + retryAfterMs + lengthMs / 10;
		this.growAt = Math.max(this.growAt, afterNextEnd, entry.growth ? floor : -Infinity);
	}

	/** A 429 for the create rate, `retryAfterMs` before the server takes one again: its window, as this queue saw it. */
	private learnWindow(retryAfterMs: number, now: number): void {
		const { ms } = this.window();
		const recent = this.answeredAt.filter((at) => at > now - ms);
		if (recent.length === 0) return; // none of ours in it: another process's creates fill it
		const windowMs = now + retryAfterMs - recent[0];
		const count = this.answeredAt.filter((at) => at >= recent[0]).length;
		// Only ever tighter than Creates per Minute (both are kept to).
		if (windowMs > 0 && count < this.window().count) this.learnedWindow = { count, ms: windowMs, until: now + 2 * windowMs };
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
		const departure = this.departureAt(now);
		const { count, ms } = this.window();
		// Creates ahead of it leave `count` a window; a wait on answers is not known ahead: counted as none.
		const expected = (Number.isFinite(departure) ? Math.max(0, departure - now) : 0) + Math.floor(index / count) * ms;
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
 * the API key and base URL (`accountKey`: a hash, kept in memory for the life of the process).
 */
export function createQueueFor(account: string): CreateQueue {
	let queue = queues.get(account);
	if (!queue) {
		queue = new CreateQueue();
		queues.set(account, queue);
	}
	return queue;
}

/**
 * Tells the account's create queue that a generation ended (completed or failed), so a create
 * waiting for a running place leaves at once. `account`: `accountKey(connection)` of the item
 * that waits for it; `generationId`: its id as Luma Generate output it (a suffix is ignored).
 * Safe to call for any id, any number of times: only a generation this process's queue created,
 * not yet reported, frees a place. Never throws; sends nothing.
 */
export function generationEnded(account: string, generationId: string): void {
	queues.get(account)?.ended(generationId);
}
