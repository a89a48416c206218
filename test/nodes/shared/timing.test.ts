/**
 * The engine tests run the nodes on a fast clock (`scaleTiming`): every delay shrinks, but how
 * long a request may take does not, so a busy test process never expires an answer that arrived.
 */
import { scaleTiming, timing } from '../../../nodes/shared/timing';

afterEach(() => scaleTiming(1));

test('scaleTiming(0.01) runs every delay a hundred times faster and leaves every timeout at its real value', () => {
	scaleTiming(0.01);
	expect({ ...timing }).toEqual({
		retryBaseMs: 10,
		retryMaxMs: 600,
		requestTimeoutMs: 60_000,
		longPollTimeoutMs: 75_000,
		downloadTimeoutMs: 900_000,
		pollPauseMinMs: 10,
		pollPauseMaxMs: 50,
		unifiedPollMs: 100,
		minuteMs: 600,
		secondMs: 10,
	});
});

test('scaleTiming(1) restores a timeout a test set itself', () => {
	scaleTiming(0.01);
	timing.requestTimeoutMs = 1_000;
	scaleTiming(1);
	expect(timing.requestTimeoutMs).toBe(60_000);
	expect(timing.secondMs).toBe(1_000);
});
