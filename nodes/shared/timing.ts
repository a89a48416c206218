/**
 * Every delay and timeout the nodes use, in one object, and the one way they wait.
 * Tests run the same code on a faster clock by scaling the delays (see `scaleTiming`); the
 * timeouts stay as they are unless a test sets one itself.
 */
import { sleep } from 'n8n-workflow';

const BASE_TIMING = {
	/** First retry delay of a failed read; doubles each time, with jitter. */
	retryBaseMs: 1_000,
	/** Longest delay between two retries, and the cap on a server's Retry-After. */
	retryMaxMs: 60_000,
	/** Timeout of an ordinary request (create, instant fetch). */
	requestTimeoutMs: 60_000,
	/** Timeout of a long-poll fetch: well above the server's 30 s hold. */
	longPollTimeoutMs: 75_000,
	/** Timeout of a video download (the whole body). */
	downloadTimeoutMs: 15 * 60_000,
	/** First pause after a long poll that came back early with nothing new; grows to the max. */
	pollPauseMinMs: 1_000,
	pollPauseMaxMs: 5_000,
	/**
	 * The unified API has no long poll: each generation is asked about this often. The gateway's
	 * own examples ask every 10 to 15 seconds; a generation takes one to three minutes.
	 */
	unifiedPollMs: 10_000,
	/** One minute, for rates given per minute. */
	minuteMs: 60_000,
	/** One second, for Max Wait given in seconds. */
	secondMs: 1_000,
};

export type Timing = typeof BASE_TIMING;

export const timing: Timing = { ...BASE_TIMING };

/**
 * How long a request may take: never scaled. A timeout scaled down to a fraction of a second
 * would let a busy or briefly stalled process expire an answer that had already arrived; a test
 * of a server that never answers sets the timeout it needs on `timing` itself.
 */
const TIMEOUTS: ReadonlySet<keyof Timing> = new Set(['requestTimeoutMs', 'longPollTimeoutMs', 'downloadTimeoutMs']);

/**
 * Runs every delay (pauses, retry delays, poll intervals, the units of Max Wait and of rates)
 * `factor` times as fast: 0.01 = a hundred times faster, 1 restores them. Every timeout goes back
 * to its real value, whatever the factor.
 */
export function scaleTiming(factor: number): void {
	for (const key of Object.keys(BASE_TIMING) as Array<keyof Timing>) {
		timing[key] = TIMEOUTS.has(key) ? BASE_TIMING[key] : BASE_TIMING[key] * factor;
	}
}

/** Random in [delay/2, delay]: spreads retries of many items apart. */
export function withJitter(delayMs: number): number {
	return delayMs / 2 + Math.random() * (delayMs / 2);
}

/** Waits `ms`, or less if the execution is cancelled meanwhile. Never throws. */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
	if (ms <= 0 || signal?.aborted) return;
	if (!signal) return await sleep(ms);
	let onAbort = () => {};
	const aborted = new Promise<void>((resolve) => {
		onAbort = resolve;
		signal.addEventListener('abort', onAbort, { once: true });
	});
	// n8n 2.x's sleep clears its timer on abort (and rejects); 1.x's ignores the signal and the
	// race ends the wait all the same.
	await Promise.race([sleep(ms, signal).catch(() => {}), aborted]);
	signal.removeEventListener('abort', onAbort);
}
