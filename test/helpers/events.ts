/**
 * Waiting for events instead of for time (issue 17): a test moves on when something happened
 * (the emulator holds a request, logged a request, the node logged a line), never after a sleep
 * that work must fit into. Jest's test timeout is the only bound on how long that takes.
 */

/**
 * Resolves once `condition()` holds, checking every few ms. With `stop`, also resolves (without the
 * condition) once that signal aborts, so a condition that never comes leaves no timer behind.
 */
export async function until(condition: () => boolean, stop?: AbortSignal): Promise<void> {
	while (!condition() && !stop?.aborted) await new Promise((resolve) => setTimeout(resolve, 5));
}

/**
 * Makes time pass on an event, e.g. a node's Max Wait: runs `run` and, once `condition()` holds,
 * moves `Date.now()` (the clock the nodes read their deadlines from, and the emulator's) `aheadMs`
 * ahead of real time; it is real again when `run` settles. A test gives the node a Max Wait too
 * long to pass by itself, then lets it pass at the moment the test has seen what it needs, however
 * slowly the machine got there. `onJump` runs at the jump, before any other work. Generations the
 * test expects to be still running must last longer than `aheadMs`.
 */
export async function withClockJump<T>(condition: () => boolean, aheadMs: number, run: () => Promise<T>, onJump?: () => void): Promise<T> {
	const stop = new AbortController();
	const realNow = Date.now.bind(Date);
	let spy: jest.SpyInstance<number, []> | undefined;
	void until(condition, stop.signal).then(() => {
		if (stop.signal.aborted) return;
		spy = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + aheadMs);
		onJump?.();
	});
	try {
		return await run();
	} finally {
		stop.abort();
		spy?.mockRestore();
	}
}
