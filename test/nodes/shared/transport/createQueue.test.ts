/**
 * The account's create queue on its own: order, the creates-per-minute window, the running limit
 * it learns from 429s and reports, 429 pauses, cancel and deadline.
 * Timing is scaled a hundred times faster (a minute is 600 ms, retryBaseMs 10 ms, retryMaxMs 600 ms).
 * Every time check is a lower bound on recorded send times, a value the queue computed, or the
 * order of events: none assumes a timer fires on time or that code runs without being delayed.
 * Where a test needs creates to still be waiting when something happens, a "hold" keeps them
 * there (see `holdLine`) instead of hoping the clock has not moved.
 */
import type { CreateAttempt, CreateQueue, TurnOptions } from '../../../../nodes/shared/transport/createQueue';
import { createQueueFor, generationEnded, QueueCancelled, QueueWaitExceeded } from '../../../../nodes/shared/transport/createQueue';
import * as timingModule from '../../../../nodes/shared/timing';
import { pause, scaleTiming, timing } from '../../../../nodes/shared/timing';

beforeAll(() => scaleTiming(0.01));
afterAll(() => scaleTiming(1));

let accounts = 0;
/** A queue no other test uses. */
const freshQueue = () => createQueueFor(`test-account-${++accounts}`);

/** A deadline no test reaches. */
const later = () => Date.now() + 10 * 60_000;

const spacing = (perMinute: number) => timing.minuteMs / perMinute;

const gaps = (times: number[]) => times.slice(1).map((time, index) => time - times[index]);

type Answer = CreateAttempt<string> | Error;

/** Sends that record when they started (before the queue reads its clock), and answer as told. */
function recorder() {
	const events: string[] = [];
	const sends: Array<{ label: string; at: number }> = [];
	const send =
		(label: string, ...answers: Answer[]) =>
		async (): Promise<CreateAttempt<string>> => {
			sends.push({ label, at: Date.now() });
			events.push(`send ${label}`);
			const answer = answers.shift() ?? { tooMany: false, result: `created ${label}` };
			if (answer instanceof Error) throw answer;
			return answer;
		};
	const at = (label: string) => sends.filter((sent) => sent.label === label).map((sent) => sent.at);
	return { events, sends, send, at, labels: () => sends.map((sent) => sent.label) };
}

function turn(perMinute: number, extra: Partial<TurnOptions> = {}): TurnOptions {
	return { perMinute, deadline: later(), ...extra };
}

function deferred() {
	let resolve!: () => void;
	const promise = new Promise<void>((done) => (resolve = done));
	return { promise, resolve };
}

const tooMany = (retryAfterMs?: number): CreateAttempt<string> => ({ tooMany: true, retryAfterMs });

/** One create in about two thousand years. */
const HOLD_RATE = 1e-9;

/**
 * A waiting create at HOLD_RATE: while it waits the lowest rate is its own, so nothing leaves
 * by the clock, however late the test's code runs. Released by cancelling it; never sent.
 */
function holdLine(queue: CreateQueue) {
	const cancel = new AbortController();
	const left = queue
		.run(turn(HOLD_RATE, { signal: cancel.signal }), async () => {
			throw new Error('the hold was sent');
		})
		.catch((error: unknown) => error);
	return { release: () => cancel.abort(), left };
}

/** The length of a generation in the virtual-clock tests (ms). */
const LENGTH = 1_000;

/** Runs `body` on jest's virtual clock (Date.now and timers): for tests about when a create goes, which a busy machine must not move. */
async function onVirtualClock(body: () => Promise<void>): Promise<void> {
	jest.useFakeTimers({ now: 1_000_000 });
	try {
		await body();
	} finally {
		jest.useRealTimers();
	}
}

/**
 * An account on the clock as it is now (times in ms from then): `places` generations may run at
 * once; ours run `lengthMs`; `othersEnds(at)` are the ends of another process's generations running
 * at `at`. A refusal's Retry-After runs to the account's earliest end. Records when each create was
 * accepted and refused; `send(label)` resolves with the label.
 */
function virtualAccount(places: number, lengthMs: number, othersEnds: (at: number) => number[] = () => []) {
	const start = Date.now();
	const ours = new Map<string, number>(); // id → ends at
	const accepted: number[] = [];
	const refused: number[] = [];
	let made = 0;
	const send = (label: string) => async (): Promise<CreateAttempt<string>> => {
		await Promise.resolve();
		const at = Date.now() - start;
		for (const [id, end] of ours) if (at >= end) ours.delete(id);
		const ends = [...othersEnds(at), ...ours.values()];
		if (ends.length >= places) {
			refused.push(at);
			return { tooMany: true, retryAfterMs: Math.min(...ends) - at, cause: 'running' };
		}
		const id = `gen-${++made}`;
		ours.set(id, at + lengthMs);
		accepted.push(at);
		return { tooMany: false, result: label, generationId: id };
	};
	return { send, accepted, refused };
}

/**
 * An account whose create window binds (times in ms from now): at most `count` creates accepted
 * in any `windowMs`; a refusal's Retry-After runs to when the oldest in the window turns `windowMs`
 * old. `send(label)` resolves with the label; `acceptedAt(label)` is when it was accepted.
 */
function virtualWindowAccount(count: number, windowMs: number) {
	const start = Date.now();
	const accepted = new Map<string, number>();
	let refusals = 0;
	const send = (label: string) => async (): Promise<CreateAttempt<string>> => {
		await Promise.resolve();
		const at = Date.now() - start;
		const inWindow = [...accepted.values()].filter((when) => when > at - windowMs).sort((x, y) => x - y);
		if (inWindow.length >= count) {
			refusals++;
			return { tooMany: true, retryAfterMs: inWindow[0] + windowMs - at, cause: 'window' };
		}
		accepted.set(label, at);
		return { tooMany: false, result: label };
	};
	return {
		send,
		acceptedAt: (label: string) => accepted.get(label),
		get refusals() {
			return refusals;
		},
	};
}

describe('order and rate', () => {
	test('60 creates from 6 executions at once: the first 20 leave together, in arrival order; then each as the window lets one more in', async () => {
		const queue = freshQueue();
		const { events, sends, labels } = recorder();
		const answers = deferred(); // the first creates' answers are held until the test has looked
		const twentieth = deferred();
		const arrivals: string[] = [];
		const runs: Array<Promise<string>> = [];
		for (let item = 0; item < 10; item++) {
			for (let execution = 0; execution < 6; execution++) {
				const label = `execution ${execution} item ${item}`;
				arrivals.push(label);
				runs.push(
					queue.run(turn(20), async () => {
						sends.push({ label, at: Date.now() });
						events.push(`send ${label}`);
						if (sends.length === 20) twentieth.resolve();
						await answers.promise;
						return { tooMany: false, result: `created ${label}` };
					}),
				);
			}
		}

		await twentieth.promise;
		// 20 on their way at once, none answered yet: the window (20 a minute) is full, the 21st waits.
		expect(queue.state).toMatchObject({ inFlight: 20, waiting: 40 });
		answers.resolve();
		const results = await Promise.all(runs);
		expect(results).toEqual(arrivals.map((label) => `created ${label}`));
		expect(labels()).toEqual(arrivals);
		// Never more than 20 in any minute: the (k+20)-th left a minute or more after the k-th.
		const at = sends.map((sent) => sent.at);
		for (let k = 0; k + 20 < at.length; k++) expect(at[k + 20] - at[k]).toBeGreaterThanOrEqual(timing.minuteMs);
		expect(queue.waiting).toBe(0);
	});

	test('executions sending their items one after another share the queue in arrival order', async () => {
		const queue = freshQueue();
		const { send, labels } = recorder();
		const arrivals: string[] = [];
		const execution = async (name: string) => {
			for (let item = 0; item < 5; item++) {
				arrivals.push(`${name} item ${item}`);
				await queue.run(turn(300), send(`${name} item ${item}`));
			}
		};
		await Promise.all(['A', 'B', 'C', 'D'].map(execution));
		expect(labels()).toEqual(arrivals);
		// The executions take turns, not one after another.
		expect(labels().slice(0, 4)).toEqual(['A item 0', 'B item 0', 'C item 0', 'D item 0']);
	});

	test('while creates with different rates wait, the lowest rate sets the window', async () => {
		const queue = freshQueue();
		const { send, sends, labels } = recorder();
		const runs = [2, 1, 2].map((perMinute, index) => queue.run(turn(perMinute), send(`#${index}`)));
		await Promise.all(runs);
		expect(labels()).toEqual(['#0', '#1', '#2']);
		const [first, second, third] = sends.map((sent) => sent.at);
		// #1 (1 a minute) waits a minute after #0; #2 (2 a minute) then finds #0 and #1 in its minute.
		expect(second - first).toBeGreaterThanOrEqual(timing.minuteMs);
		expect(third - first).toBeGreaterThanOrEqual(timing.minuteMs);
	});

	test('a create being sent does not hold up the next one', async () => {
		const queue = freshQueue();
		const { send } = recorder();
		const secondStarted = deferred();
		const slow = queue.run(turn(600), async () => {
			await secondStarted.promise; // answers only once the next create has left
			return { tooMany: false, result: 'slow' };
		});
		const next = queue.run(turn(600, { deadline: Date.now() + 5_000 }), async () => {
			secondStarted.resolve();
			return send('next')();
		});
		// Were the queue waiting for the first answer, the second would leave at its deadline unsent.
		await expect(next.finally(secondStarted.resolve)).resolves.toBe('created next');
		await expect(slow).resolves.toBe('slow');
	});

	test('two accounts do not share a queue, nor its pauses', async () => {
		expect(createQueueFor('account x')).toBe(createQueueFor('account x'));
		expect(createQueueFor('account x')).not.toBe(createQueueFor('account y'));

		const x = freshQueue();
		const y = freshQueue();
		const { send, events } = recorder();
		let y1: Promise<string> | undefined;
		const x1 = x.run(turn(600), send('x1', tooMany(300)));
		const hold = holdLine(x); // x2 is still waiting when x1 is refused
		let told = 0;
		const x2 = x.run(
			turn(600, {
				onWait: () => {
					if (++told !== 2) return;
					// Told of the pause on account x: account y sends at once meanwhile.
					y1 = y.run(turn(600), send('y1'));
					hold.release();
				},
			}),
			send('x2'),
		);
		await Promise.all([x1, x2]);
		await expect(y1).resolves.toBe('created y1');
		expect(events).toEqual(['send x1', 'send y1', 'send x1', 'send x2']);
	});
});

describe('a 429', () => {
	test('with Retry-After: the refused create goes back first and everyone waits the pause', async () => {
		const queue = freshQueue();
		const { send, sends, at, labels } = recorder();
		const told: Record<string, Array<[number, number]>> = { B: [], C: [] };
		const a = queue.run(turn(600), send('A', tooMany(200)));
		const hold = holdLine(queue); // B and C are still waiting when A's answer comes
		const b = queue.run(turn(600, { onWait: (...args) => told.B.push(args) }), send('B'));
		const c = queue.run(
			turn(600, {
				onWait: (...args) => {
					told.C.push(args);
					if (told.C.length === 2) hold.release();
				},
			}),
			send('C'),
		);

		await expect(Promise.all([a, b, c])).resolves.toEqual(['created A', 'created B', 'created C']);
		expect(labels()).toEqual(['A', 'A', 'B', 'C']);
		const [refusedAt, retriedAt] = at('A');
		expect(retriedAt - refusedAt).toBeGreaterThanOrEqual(200);
		expect(at('B')[0] - refusedAt).toBeGreaterThanOrEqual(200);
		expect(at('C')[0] - refusedAt).toBeGreaterThanOrEqual(200);
		expect(sends).toHaveLength(4);
		// Told once on arrival (behind the hold) and once when the queue paused, A back in front: not in a loop.
		expect(told.B.map(([position]) => position)).toEqual([2, 3]);
		expect(told.C.map(([position]) => position)).toEqual([3, 4]);
		expect(told.B[1][1]).toBeGreaterThanOrEqual(200);
		expect(await hold.left).toBeInstanceOf(QueueCancelled);
	});

	test('never fails a create: without Retry-After the pause doubles from retryBaseMs, and starts over after an accepted create', async () => {
		const queue = freshQueue();
		const { send, at } = recorder();
		const toldA: number[] = [];
		const a = queue.run(
			turn(600, { onWait: (_, expectedMs) => toldA.push(expectedMs) }),
			send('A', tooMany(), tooMany(), tooMany(), tooMany(), tooMany()),
		);
		await expect(a).resolves.toBe('created A');
		// The refused create, back in front, is told each pause: exactly the backoff.
		const base = timing.retryBaseMs;
		expect(toldA).toEqual([base, 2 * base, 4 * base, 8 * base, 16 * base]);
		gaps(at('A')).forEach((gap, index) => expect(gap).toBeGreaterThanOrEqual(base * 2 ** index));

		const toldB: number[] = [];
		await expect(
			queue.run(turn(600, { onWait: (_, expectedMs) => toldB.push(expectedMs) }), send('B', tooMany())),
		).resolves.toBe('created B');
		expect(toldB.at(-1)).toBe(base);
	});

	test('answered to a create sent before the pause began, it does not grow the backoff', async () => {
		const queue = freshQueue();
		const bSent = deferred();
		const aRefused = deferred();
		const toldB: number[] = [];
		let aSends = 0;
		let bSends = 0;
		// A and B are both in flight when A is refused; B's refusal, answered after, is the same news.
		const a = queue.run(turn(600, { onWait: () => aRefused.resolve() }), async () => {
			if (++aSends > 1) return { tooMany: false, result: 'created A' };
			await bSent.promise;
			return tooMany();
		});
		const b = queue.run(turn(600, { onWait: (_, expectedMs) => toldB.push(expectedMs) }), async () => {
			if (++bSends > 1) return { tooMany: false, result: 'created B' };
			bSent.resolve();
			await aRefused.promise;
			return tooMany();
		});
		await expect(Promise.all([a, b])).resolves.toEqual(['created A', 'created B']);
		// B, back in line behind A, is told the pause: retryBaseMs again (not twice that), then A's turn.
		expect(toldB.at(-1)).toBeLessThanOrEqual(timing.retryBaseMs + spacing(600));
	});

	test('Retry-After beyond retryMaxMs is capped', async () => {
		const queue = freshQueue();
		const cancel = new AbortController();
		const told: number[] = [];
		const a = queue.run(
			turn(600, {
				signal: cancel.signal,
				onWait: (_, expectedMs) => {
					told.push(expectedMs);
					cancel.abort(); // enough seen
				},
			}),
			recorder().send('A', tooMany(10 * 60_000)),
		);
		await expect(a).rejects.toBeInstanceOf(QueueCancelled);
		expect(told).toEqual([timing.retryMaxMs]);
	});
});

/**
 * An account that lets `limit` generations run at once, played by the test: it accepts a create
 * while fewer of its generations run, else answers 429 for running generations. Generations end
 * only when the test ends them (`end`), so nothing depends on the clock.
 */
function account(limit: number, retryAfterMs = 10 * 60_000) {
	const running = new Set<string>();
	const log: string[] = [];
	let made = 0;
	let onTheirWay = 0;
	let mostOnTheirWay = 0;
	let refusals = 0;
	const listeners: Array<(event: string) => void> = [];
	const send =
		(label: string) =>
		async (): Promise<CreateAttempt<string>> => {
			onTheirWay++;
			mostOnTheirWay = Math.max(mostOnTheirWay, onTheirWay);
			await Promise.resolve(); // answered after the queue's other sends of this turn left
			onTheirWay--;
			if (running.size >= limit) {
				refusals++;
				log.push(`429 ${label}`);
				listeners.forEach((listener) => listener(`429 ${label}`));
				return { tooMany: true, retryAfterMs, cause: 'running' };
			}
			const id = `gen-${++made}`;
			running.add(id);
			log.push(`created ${label}`);
			listeners.forEach((listener) => listener(`created ${label}`));
			return { tooMany: false, result: id, generationId: id };
		};
	return {
		send,
		log,
		running,
		end: (id: string) => running.delete(id),
		refusals: () => refusals,
		mostOnTheirWay: () => mostOnTheirWay,
		resetMost: () => (mostOnTheirWay = onTheirWay),
		/** Resolves at the next event of the account matching `pattern`. */
		next: (pattern: RegExp) =>
			new Promise<string>((resolve) => {
				const listener = (event: string) => {
					if (!pattern.test(event)) return;
					listeners.splice(listeners.indexOf(listener), 1);
					resolve(event);
				};
				listeners.push(listener);
			}),
	};
}

describe('the running limit, learned', () => {
	test('a 429 for running generations teaches the limit; each generation reported ended lets one more create leave at once, in arrival order', async () => {
		const key = `test-account-${++accounts}`;
		const queue = createQueueFor(key);
		const server = account(3);
		const labelsIn = ['A', 'B', 'C', 'D', 'E', 'F'];
		const fBackInLine = deferred(); // told its place once it is back in line after its 429
		const runs = labelsIn.map((label) => queue.run(turn(600, label === 'F' ? { onWait: fBackInLine.resolve } : {}), server.send(label)));
		await fBackInLine.promise;
		// All six left at once (nothing known yet); three were refused, never an error.
		expect(server.log).toEqual(['created A', 'created B', 'created C', '429 D', '429 E', '429 F']);
		expect(queue.state).toMatchObject({ runningLimit: 3, running: 3, waiting: 3 });

		// The refusals asked for ten minutes: a report that a generation ended frees a place now.
		server.end('gen-1');
		generationEnded(key, 'gen-1');
		await expect(runs[3]).resolves.toBe('gen-4');
		// At the limit again. gen-1 ran a few ms: the queue now expects ours to end that soon, so E
		// goes to see whether gen-2 or gen-3 ended too (refused: not yet).

		const both = Promise.all([server.next(/^created E$/), server.next(/^created F$/)]);
		for (const id of ['gen-2', 'gen-3']) {
			server.end(id);
			generationEnded(key, `${id}:luma/ray-2`); // a gateway's suffix is ignored
		}
		await both;
		await expect(Promise.all(runs)).resolves.toEqual(['gen-1', 'gen-2', 'gen-3', 'gen-4', 'gen-5', 'gen-6']);
		expect(server.log.slice(6, 8)).toEqual(['created D', '429 E']);
		expect(server.refusals()).toBe(4);
		// A report for a generation the queue did not make, or twice, frees nothing.
		generationEnded(key, 'gen-1');
		generationEnded(key, 'someone-elses');
		expect(queue.state).toMatchObject({ running: 3, runningLimit: 3 });
	});

	test('without reports, at the limit creates go as probes when generations should have ended (their length learned from Retry-After), never more than the limit', async () => {
		const queue = freshQueue();
		const server = account(2, 20); // Retry-After 20 ms (this test's clock)
		const runs = ['A', 'B', 'C', 'D', 'E'].map((label) => queue.run(turn(600), server.send(label)));
		await server.next(/^429 E$/);
		expect(queue.state).toMatchObject({ runningLimit: 2, running: 2 });
		server.resetMost();
		// Each later refusal: the test ends the oldest generation, as time would.
		let ended = 0;
		const endOnRefusal = async (): Promise<void> => {
			while (ended < 3) {
				await server.next(/^429 /);
				server.end(`gen-${++ended}`);
			}
		};
		const ending = endOnRefusal();
		await expect(Promise.all(runs)).resolves.toEqual(['gen-1', 'gen-2', 'gen-3', 'gen-4', 'gen-5']);
		await ending;
		// Never more on their way than the limit while the account was full; accepted in arrival order.
		expect(server.mostOnTheirWay()).toBeLessThanOrEqual(2);
		expect(server.log.filter((line) => line.startsWith('created'))).toEqual(['created A', 'created B', 'created C', 'created D', 'created E']);
		// The first burst's three refusals, then at most the limit's two per place freed (here the
		// test frees a place only on a refusal: the worst case).
		expect(server.refusals()).toBeLessThanOrEqual(3 + 2 * 3);
	});

	test('a limit learned while another process held places grows back once they free: more of ours run at once than the share first learned', async () => {
		const queue = freshQueue();
		// An account of 4 running places whose generations last 40 ms (this test's clock); a 429 says
		// when the earliest ends. Another process holds 2 places until our first burst is answered.
		const LENGTH = 40;
		const others = new Set(['other-1', 'other-2']);
		const ours = new Map<string, number>(); // id → accepted at
		let most = 0;
		let refusals = 0;
		let made = 0;
		const send = (label: string) => async (): Promise<CreateAttempt<string>> => {
			await Promise.resolve();
			const now = Date.now();
			for (const [id, at] of ours) if (now - at >= LENGTH) ours.delete(id);
			if (ours.size + others.size >= 4) {
				refusals++;
				if (refusals === 14) others.clear(); // the other process's end once our first burst (16 at once, 2 accepted) is answered
				const earliest = Math.min(...[...ours.values()].map((at) => at + LENGTH), now + LENGTH);
				return { tooMany: true, retryAfterMs: Math.max(1, earliest - now), cause: 'running' };
			}
			const id = `gen-${++made}`;
			ours.set(id, now);
			most = Math.max(most, ours.size);
			return { tooMany: false, result: `${label} ${id}`, generationId: id };
		};
		const labels = Array.from({ length: 16 }, (_, index) => `#${index + 1}`);
		const results = await Promise.all(labels.map((label) => queue.run(turn(6000), send(label))));
		// All created, in arrival order, never refused as an error.
		expect(results).toEqual(labels.map((label, index) => `${label} gen-${index + 1}`));
		// Our first share was 2; the queue found the 4 places once the other process let them go.
		expect(most).toBe(4);
		// At least the account's 4, never back at the share of 2. On a stalled machine more of ours
		// end unreported before a growth probe, and each accepted probe raises the belief by one:
		// the server's refusals then correct it, harmlessly.
		expect(queue.state.runningLimit).toBeGreaterThanOrEqual(4);
		expect(refusals).toBeGreaterThan(0);
	});

	test('queue mode: a place another process gives up at the end of its last generation is found just after that end, not half a generation later', async () => {
		await onVirtualClock(async () => {
			const queue = freshQueue();
			// 4 places. Another process holds 2: one ends at 980 and it fills that place again at once
			// (until 1980); the other ends at 1000 and it has nothing left to send: that place stays free.
			const account = virtualAccount(4, LENGTH, (at) => [at < 980 ? 980 : 1980, ...(at < 1000 ? [1000] : [])]);
			const labels = ['A', 'B', 'C', 'D', 'E'];
			const results = Promise.all(labels.map((label) => queue.run(turn(6000), account.send(label))));
			await jest.advanceTimersByTimeAsync(3 * LENGTH);
			await expect(results).resolves.toEqual(labels);
			// Two at once (our share); two as ours end (sought at 980, the end a 429 named first: refused,
			// a moment early); the fifth a tenth of a generation after that end, the time an owner has to
			// take its place again: the free place is found then, not half a generation after the refusal.
			expect(account.accepted).toEqual([0, 0, LENGTH, LENGTH, LENGTH + LENGTH / 10]);
			expect(queue.state.runningLimit).toBe(3);
		});
	});

	test('one process at its limit: one check above the limit per generation, just after the account\'s next end; every create in its wave', async () => {
		await onVirtualClock(async () => {
			const queue = freshQueue();
			// 2 places, all ours; no reports: the queue finds the ends by the length Retry-After taught.
			const account = virtualAccount(2, LENGTH);
			const labels = Array.from({ length: 10 }, (_, index) => `#${index + 1}`);
			const results = Promise.all(labels.map((label) => queue.run(turn(6000), account.send(label))));
			await jest.advanceTimersByTimeAsync(6 * LENGTH);
			await expect(results).resolves.toEqual(labels);
			// Two a generation, each as the last two end: the account's own pace.
			expect(account.accepted).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4].map((wave) => wave * LENGTH));
			// The first burst's 8 refusals, then one check above the limit in each generation that still
			// had creates waiting (the first three), a tenth of a generation after its wave: refused, as
			// the account has no more places. (Checking half a generation after each refusal made two.)
			expect(account.refused).toHaveLength(8 + 3);
		});
	});

	test('a 429 for the create rate teaches no running limit', async () => {
		const queue = freshQueue();
		const { send } = recorder();
		const rate: CreateAttempt<string> = { tooMany: true, retryAfterMs: 20, cause: 'window' };
		await expect(Promise.all([queue.run(turn(600), send('A', rate)), queue.run(turn(600), send('B'))])).resolves.toEqual([
			'created A',
			'created B',
		]);
		expect(queue.state.runningLimit).toBe(Infinity);
	});
});

describe('the create window, learned', () => {
	test('a 429 for the create rate with Retry-After teaches the account\'s window: after the refusals of the burst, at most one probe beyond it per window', async () => {
		const queue = freshQueue();
		// The account takes 3 creates per 100 ms (tighter than the node's 600 a minute: another
		// process shares it, or Creates per Minute is set too high).
		const acceptedAt: number[] = [];
		const log: string[] = [];
		const send = (label: string) => async (): Promise<CreateAttempt<string>> => {
			const now = Date.now();
			const inWindow = acceptedAt.filter((at) => at > now - 100);
			if (inWindow.length >= 3) {
				log.push(`429 ${label}`);
				return { tooMany: true, retryAfterMs: inWindow[0] + 100 - now, cause: 'window' };
			}
			acceptedAt.push(now);
			log.push(`created ${label}`);
			return { tooMany: false, result: `created ${label}` };
		};
		const labels = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'];
		await expect(Promise.all(labels.map((label) => queue.run(turn(600), send(label))))).resolves.toEqual(labels.map((label) => `created ${label}`));
		// The first burst: 3 accepted, 5 refused (one lesson); then 3 per window, and beyond them at
		// most one probe per later window (it finds whether the share grew): never a burst refused again.
		const refused = log.filter((line) => line.startsWith('429'));
		expect(refused.slice(0, 5)).toEqual(['429 D', '429 E', '429 F', '429 G', '429 H']);
		expect(refused.length - 5).toBeLessThanOrEqual(2);
		expect(log.filter((line) => line.startsWith('created'))).toEqual(labels.map((label) => `created ${label}`));
		expect(queue.state.runningLimit).toBe(Infinity);
	});

	test('a share learned while another process created grows back as soon as it stops: beyond the share one create at a time, each accepted lets the next go', async () => {
		const queue = freshQueue();
		// The account takes 6 creates per 100 ms; another process holds 3 of them in the first window only.
		const acceptedAt: number[] = [Date.now(), Date.now(), Date.now()];
		const ours: number[] = [];
		let pauseEnd = Infinity;
		const send = (label: string) => async (): Promise<CreateAttempt<string>> => {
			const now = Date.now();
			const inWindow = acceptedAt.filter((at) => at > now - 100);
			if (inWindow.length >= 6) {
				pauseEnd = Math.min(pauseEnd, inWindow[0] + 100);
				return { tooMany: true, retryAfterMs: inWindow[0] + 100 - now, cause: 'window' };
			}
			acceptedAt.push(now);
			ours.push(now);
			return { tooMany: false, result: label };
		};
		const labels = Array.from({ length: 12 }, (_, index) => `#${index}`);
		await expect(Promise.all(labels.map((label) => queue.run(turn(600), send(label))))).resolves.toEqual(labels);
		// The lesson: 3 of ours in the first window. In the window that opens when the server takes
		// creates again, ours fill the account's 6 (the learned share of 3 would let 3 through).
		const afterPause = ours.filter((at) => at >= pauseEnd && at < pauseEnd + 100);
		expect(ours.filter((at) => at < pauseEnd)).toHaveLength(3);
		expect(afterPause.length).toBeGreaterThanOrEqual(5);
	});
	test('two processes at the account\'s window: once the other stops, ours takes the whole window as soon as the server takes creates again, not a share\'s spacing later', async () => {
		await onVirtualClock(async () => {
			// The account takes 4 creates per minute (600 ms on this clock); both queues are set higher.
			// Process B sends 2 a minute (its own Creates per Minute) for two minutes, then stops.
			const account = virtualWindowAccount(4, timing.minuteMs);
			const ours = freshQueue();
			const theirs = freshQueue();
			const b = ['B1', 'B2', 'B3', 'B4'].map((label) => theirs.run(turn(2), account.send(label)));
			const labels = Array.from({ length: 8 }, (_, index) => `A${index + 1}`);
			const a = labels.map((label) => ours.run(turn(8), account.send(label)));
			await jest.advanceTimersByTimeAsync(4 * timing.minuteMs);
			await expect(Promise.all([...a, ...b])).resolves.toEqual([...labels, 'B1', 'B2', 'B3', 'B4']);
			// Ours learns a share of 2 in the first minute; in the second its probe beyond the share is
			// refused (B takes the other 2). In the third, B has stopped: the account's 4 are ours the
			// moment the server takes creates again (waiting a share's spacing after it, the last two
			// went at 2.5 minutes).
			const minute = timing.minuteMs;
			expect(labels.map((label) => account.acceptedAt(label))).toEqual([0, 0, minute, minute, 2 * minute, 2 * minute, 2 * minute, 2 * minute]);
			// The first burst's 6 refusals (8 sent, 2 places left), then the one probe of the second minute.
			expect(account.refusals).toBe(7);
		});
	});
});

describe('cancel and deadline', () => {
	test('cancel of a waiting create rejects it at once; it is never sent, the queue goes on', async () => {
		const queue = freshQueue();
		const { send, labels, sends } = recorder();
		const cancel = new AbortController();
		const a = queue.run(turn(6), send('A'));
		// B's own rate holds C behind it: nothing can leave before the cancel.
		const b = queue.run(turn(HOLD_RATE, { signal: cancel.signal }), send('B'));
		const c = queue.run(turn(6), send('C'));
		let sentWhenRejected = -1;
		const rejected = b.catch((error) => {
			sentWhenRejected = sends.length;
			return error;
		});

		cancel.abort();
		expect(queue.waiting).toBe(1);
		expect(await rejected).toBeInstanceOf(QueueCancelled);
		expect(sentWhenRejected).toBe(1); // C had not left yet: the rejection did not wait for a turn
		await Promise.all([a, c]);
		expect(labels()).toEqual(['A', 'C']);
	});

	test('when the slowest waiting create is cancelled, the others go at their own rate at once', async () => {
		const queue = freshQueue();
		const { send, events } = recorder();
		const cancel = new AbortController();
		const a = queue.run(turn(600), send('A'));
		const slow = queue.run(turn(HOLD_RATE, { signal: cancel.signal }), send('slow'));
		const c = queue.run(turn(600), send('C'));
		const marker = pause(150).then(() => events.push('150 ms'));
		cancel.abort();
		await expect(slow).rejects.toBeInstanceOf(QueueCancelled);
		await Promise.all([a, c, marker]);
		// Only the order of two timers is relied on (C's 1 ms spacing before 150 ms).
		expect(events).toEqual(['send A', 'send C', '150 ms']);
	});

	test('cancel during a queue pause rejects at once, before the pause ends; never sent', async () => {
		const queue = freshQueue();
		const { send, events } = recorder();
		const cancel = new AbortController();
		const a = queue.run(turn(600), send('A', tooMany(300)));
		const hold = holdLine(queue);
		let toldB = 0;
		const b = queue.run(
			turn(600, {
				signal: cancel.signal,
				onWait: () => {
					if (++toldB === 2) cancel.abort(); // told of the pause: the user cancels
				},
			}),
			send('B'),
		);
		let toldC = 0;
		const c = queue.run(turn(600, { onWait: () => ++toldC === 2 && hold.release() }), send('C'));
		const rejected = b.catch((error) => (events.push('B cancelled'), error));

		expect(await rejected).toBeInstanceOf(QueueCancelled);
		await Promise.all([a, c]);
		expect(events).toEqual(['send A', 'B cancelled', 'send A', 'send C']);
	});

	test('the create refused with 429 can be cancelled while it waits again, and is not sent again', async () => {
		const queue = freshQueue();
		const { send, labels } = recorder();
		const cancel = new AbortController();
		const a = queue.run(turn(600, { signal: cancel.signal }), send('A', tooMany(300)));
		const hold = holdLine(queue);
		let told = 0;
		const b = queue.run(
			turn(600, {
				onWait: () => {
					if (++told < 2) return;
					cancel.abort(); // A is back in front, waiting out the pause
					hold.release();
				},
			}),
			send('B'),
		);
		await expect(a).rejects.toBeInstanceOf(QueueCancelled);
		await expect(b).resolves.toBe('created B');
		expect(labels()).toEqual(['A', 'B']);
	});

	test('a create cancelled before it arrives is not sent; cancelled while being sent, its answer still comes back', async () => {
		const queue = freshQueue();
		const { send, labels } = recorder();
		await expect(queue.run(turn(600, { signal: AbortSignal.abort() }), send('never'))).rejects.toBeInstanceOf(
			QueueCancelled,
		);
		// Cancelled mid-send: the answer may hold a paid id.
		const cancel = new AbortController();
		await expect(
			queue.run(turn(600, { signal: cancel.signal }), async () => {
				cancel.abort();
				return send('sent')();
			}),
		).resolves.toBe('created sent');
		expect(labels()).toEqual(['sent']);
	});

	test('cancelled or past its deadline while being sent, a create refused with 429 is not sent again', async () => {
		const queue = freshQueue();
		const { send, labels } = recorder();
		const cancel = new AbortController();
		const cancelled = queue.run(turn(600, { signal: cancel.signal }), async () => {
			cancel.abort(); // the user cancels while the request is out; the server answers 429
			return send('cancelled', tooMany())();
		});
		await expect(cancelled).rejects.toBeInstanceOf(QueueCancelled);

		const other = freshQueue(); // idle: the create leaves as it arrives
		// The deadline passes while the request is out (set from inside the send: no race with the
		// clock before it leaves), and the server answers 429.
		const options = turn(600, { deadline: Number.MAX_SAFE_INTEGER });
		const late = other.run(options, async () => {
			options.deadline = Date.now();
			await pause(5);
			return send('late', tooMany())();
		});
		const error = (await late.catch((reason) => reason)) as QueueWaitExceeded;
		expect(error).toBeInstanceOf(QueueWaitExceeded);
		expect(error.tooManyCount).toBe(1);
		expect(labels()).toEqual(['cancelled', 'late']);
		expect(queue.waiting + other.waiting).toBe(0);
	});

	test('past its deadline a waiting create leaves unsent with QueueWaitExceeded; the queue goes on', async () => {
		const queue = freshQueue();
		const { send, labels } = recorder();
		const a = queue.run(turn(6), send('A'));
		const deadline = Date.now() + 30;
		// B's own rate keeps it (and C) waiting: B can only leave by its deadline.
		const b = queue.run(turn(HOLD_RATE, { deadline }), send('B'));
		const arrivedBy = Date.now(); // B arrived at this moment or before
		const c = queue.run(turn(6), send('C'));
		const error = await b.catch((reason) => ({ reason, at: Date.now() }));
		expect(error).toMatchObject({ reason: expect.any(QueueWaitExceeded) });
		const { reason, at } = error as { reason: QueueWaitExceeded; at: number };
		expect(at).toBeGreaterThanOrEqual(deadline);
		expect(reason.position).toBe(1);
		// It waited from its arrival to its deadline at least, and no longer than until it was told.
		expect(reason.waitedMs).toBeGreaterThanOrEqual(deadline - arrivedBy);
		expect(reason.waitedMs).toBeLessThanOrEqual(at - (deadline - 30));
		expect(reason.tooManyCount).toBe(0);
		expect(reason.message).toMatch(/not sent/);
		await Promise.all([a, c]);
		expect(labels()).toEqual(['A', 'C']);
		expect(queue.waiting).toBe(0);
	});

	test('a deadline ends the wait when it comes, not at the next turn nor at the end of a pause', async () => {
		// Only the order of timers is relied on (a 50 ms deadline before a 150 ms marker), never their punctuality.
		const queue = freshQueue();
		const { send, events } = recorder();
		const left = (run: Promise<string>, label: string) => run.catch((error) => (events.push(`${label} left`), error));

		// The queue sleeps until the next turn, ages away; B arrives meanwhile with a 50 ms deadline.
		const a = queue.run(turn(600), send('A'));
		const hold = holdLine(queue);
		const b = left(queue.run(turn(600, { deadline: Date.now() + 50 }), send('B')), 'B');
		const marker = pause(150).then(() => events.push('150 ms'));
		expect(await b).toBeInstanceOf(QueueWaitExceeded);
		await Promise.all([a, marker]);
		hold.release();
		expect(events).toEqual(['send A', 'B left', '150 ms']);

		// The queue pauses 300 ms for a 429; D's deadline is 50 ms away.
		events.length = 0;
		const other = freshQueue();
		const c = other.run(turn(600), send('C', tooMany(300)));
		const hold2 = holdLine(other);
		const d = left(other.run(turn(600, { deadline: Date.now() + 50 }), send('D')), 'D');
		const marker2 = pause(150).then(() => events.push('150 ms'));
		expect(await d).toBeInstanceOf(QueueWaitExceeded);
		hold2.release();
		await Promise.all([c, marker2]);
		expect(events).toEqual(['send C', 'D left', '150 ms', 'send C']);
	});

	test('a deadline during a pause ends the wait of the refused create too; already past, nothing waits', async () => {
		const queue = freshQueue();
		const { send, labels } = recorder();
		const deadline = Date.now() + 100;
		const a = queue.run(turn(600, { deadline }), send('A', tooMany(300)));
		const error = (await a.catch((reason) => reason)) as QueueWaitExceeded;
		expect(error).toBeInstanceOf(QueueWaitExceeded);
		expect(error.tooManyCount).toBe(1);
		expect(Date.now()).toBeGreaterThanOrEqual(deadline);
		expect(labels()).toEqual(['A']);

		await expect(queue.run(turn(600, { deadline: Date.now() - 1 }), send('late'))).rejects.toBeInstanceOf(
			QueueWaitExceeded,
		);
		expect(labels()).toEqual(['A']);
	});
});

describe('failures and idleness', () => {
	test('what send throws reaches only its caller, untouched; the create is not sent again and the queue goes on', async () => {
		const queue = freshQueue();
		const { send, labels } = recorder();
		const boom = new Error('socket hang up after the body was sent');
		const a = queue.run(turn(600), send('A', boom));
		const b = queue.run(turn(600), () => {
			throw new Error('thrown before any await');
		});
		const c = queue.run(turn(600), send('C'));
		await expect(a).rejects.toBe(boom);
		await expect(b).rejects.toThrow('thrown before any await');
		await expect(c).resolves.toBe('created C');
		expect(labels()).toEqual(['A', 'C']);
	});

	test('a listener that throws does not cost the create its place', async () => {
		const queue = freshQueue();
		const { send, labels } = recorder();
		const a = queue.run(turn(600), send('A'));
		const b = queue.run(
			turn(600, {
				onWait: () => {
					throw new Error('log sink down');
				},
			}),
			send('B'),
		);
		await expect(Promise.all([a, b])).resolves.toEqual(['created A', 'created B']);
		expect(labels()).toEqual(['A', 'B']);
	});

	test('an idle queue holds no timer and does nothing; a busy one sleeps about once per turn, not in a loop', async () => {
		const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
		const before = timers();
		const sleeps = jest.spyOn(timingModule, 'pause');
		try {
			const queue = freshQueue();
			const { send } = recorder();
			await Promise.all(Array.from({ length: 10 }, (_, index) => queue.run(turn(300), send(`#${index}`))));
			const afterBurst = sleeps.mock.calls.length;
			// A timer may wake a hair early and be slept again: a few per turn, not thousands.
			expect(afterBurst).toBeLessThanOrEqual(3 * 10);
			expect(queue.waiting).toBe(0);
			expect(timers()).toBeLessThanOrEqual(before);

			await pause(50);
			expect(sleeps.mock.calls.length).toBe(afterBurst + 1); // the test's own pause only
		} finally {
			sleeps.mockRestore();
		}
	});
});
