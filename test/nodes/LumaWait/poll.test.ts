/**
 * The waiting loop (`poll.ts`) on its own, against the emulator: the right outcome for each id,
 * at the right moment (never before the generation got there, never before Max Wait for a timeout).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { GenerationPoller } from '../../../nodes/LumaWait/poll';
import type { PollSettings, WaitOutcome } from '../../../nodes/LumaWait/poll';
import { sharedGroups } from '../../../nodes/LumaWait/sharedReads';
import { TEST_KEY, useEmulator } from '../../helpers/emulator';
import { until, withClockJump } from '../../helpers/events';
import { testContext } from '../shared/transport/context';

const env = useEmulator({ apis: 'luma' });
/** Longer than any test runs (ms). */
const NEVER = 10_000_000;
const UNKNOWN = '11111111-2222-4333-8444-555555555555';

function poller(settings: Partial<PollSettings> = {}, baseUrl = env.emulator.baseUrl) {
	const context = testContext({ baseUrl, apiKey: TEST_KEY });
	const poll = new GenerationPoller(context.ctx, { target: 'completed', deadline: Date.now() + NEVER, batchSize: 50, credentialItem: 0, ...settings });
	return { poll, cancel: context.cancel };
}

/** An outcome as a user reads it: how it ended, the state, and why. */
function summary(outcome: WaitOutcome | undefined) {
	if (!outcome) return undefined;
	if (outcome.kind === 'reached') return [outcome.kind, outcome.generation.state, outcome.generation.failureReason];
	if (outcome.kind === 'timedOut') return [outcome.kind, outcome.lastState, outcome.lastError];
	return [outcome.kind, outcome.error.message];
}

const fetches = () => env.emulator.log.filter((entry) => entry.endpoint === 'fetchOne' || entry.endpoint === 'fetchMany');

afterEach(async () => {
	await until(() => sharedGroups() === 0);
});

test('a wait for dreaming ends on dreaming, not before the generation got there', async () => {
	const id = env.emulator.seed('starts soon', { queuedMs: 150, dreamingMs: NEVER });
	const outcomes = await poller({ target: 'dreaming' }).poll.waitFor([id]);
	const endedAt = Date.now();
	expect(summary(outcomes.get(id))).toEqual(['reached', 'dreaming', null]);
	expect(endedAt).toBeGreaterThanOrEqual(env.emulator.generations.get(id)!.dreamingAt);
});

test('a wait for completed ends on a failure too, with its reason', async () => {
	const id = env.emulator.seed('a banned thing [fail]', { queuedMs: 50, dreamingMs: 100 });
	const outcomes = await poller().poll.waitFor([id]);
	expect(summary(outcomes.get(id))).toEqual(['reached', 'failed', 'Contains blacklisted words']);
});

test('Max Wait: the id times out with its last state, not before the deadline', async () => {
	const id = env.emulator.seed('glacial', { queuedMs: NEVER });
	const deadline = Date.now() + 50_000;
	// Time passes Max Wait only once a read has said the state, however slow the machine.
	const outcomes = await withClockJump(
		() => fetches().some((entry) => entry.hold === 'capped'),
		50_000,
		async () => {
			const result = await poller({ deadline }).poll.waitFor([id]);
			expect(Date.now()).toBeGreaterThanOrEqual(deadline);
			return result;
		},
	);
	expect(summary(outcomes.get(id))).toEqual(['timedOut', 'queued', null]);
});

test('a cancel ends the wait while the server holds the read; the read is closed and nothing more is asked', async () => {
	env.emulator.configure({ holdMs: NEVER });
	const id = env.emulator.seed('forever', { queuedMs: NEVER });
	const { poll, cancel } = poller();
	void until(() => env.emulator.holding === 1).then(cancel);
	const outcomes = await poll.waitFor([id]);
	expect(summary(outcomes.get(id))).toEqual(['timedOut', null, null]);
	await until(() => env.emulator.holding === 0);
	expect(fetches()).toHaveLength(1);
});

test('an unknown id ends with an error naming it; the others of its batch still complete', async () => {
	const known = env.emulator.seed('known', { queuedMs: 50, dreamingMs: 100 });
	const outcomes = await poller().poll.waitFor([known, UNKNOWN]);
	expect(summary(outcomes.get(known))).toEqual(['reached', 'completed', null]);
	expect(summary(outcomes.get(UNKNOWN))).toEqual(['error', `Fetching generation ${UNKNOWN} failed with HTTP 404: Generation ${UNKNOWN} not found`]);
});

test('network trouble is retried and never ends an id as failed', async () => {
	const id = env.emulator.seed('bumpy', { queuedMs: 50, dreamingMs: 100 });
	env.emulator.failNext('fetchOne', '503', 'reset', 'malformed');
	const outcomes = await poller().poll.waitFor([id]);
	expect(summary(outcomes.get(id))).toEqual(['reached', 'completed', null]);
});

test('once: one read of the state as it is, not held', async () => {
	const id = env.emulator.seed('busy', { queuedMs: NEVER });
	const outcomes = await poller({ once: true }).poll.waitFor([id]);
	expect(summary(outcomes.get(id))).toEqual(['timedOut', 'queued', null]);
	expect(fetches().map((entry) => entry.hold)).toEqual(['at-once']);
});

test('ids a fetch-many answer leaves out are asked about on their own, and end as they should', async () => {
	const kept = env.emulator.seed('kept', { queuedMs: 50, dreamingMs: 100 });
	const dropped = env.emulator.seed('dropped', { queuedMs: 50, dreamingMs: 100 });
	// A gateway in front of the emulator that leaves one id out of every fetch-many answer.
	const gateway = http.createServer((req, res) => {
		const forward = http.request(`${env.emulator.baseUrl}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
			const chunks: Buffer[] = [];
			answer.on('data', (chunk: Buffer) => chunks.push(chunk));
			answer.on('end', () => {
				let body = Buffer.concat(chunks).toString();
				if ((req.url ?? '').includes('/generations?') && answer.statusCode === 200) {
					body = JSON.stringify((JSON.parse(body) as Array<{ id: string }>).filter((generation) => generation.id !== dropped));
				}
				res.writeHead(answer.statusCode ?? 502, { 'Content-Type': 'application/json' });
				res.end(body);
			});
		});
		req.pipe(forward);
	});
	await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
	try {
		const outcomes = await poller({}, `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`).poll.waitFor([kept, dropped]);
		expect(summary(outcomes.get(kept))).toEqual(['reached', 'completed', null]);
		expect(summary(outcomes.get(dropped))).toEqual(['reached', 'completed', null]);
		expect(fetches().filter((entry) => entry.endpoint === 'fetchOne').map((entry) => new URL(entry.url, 'http://x').searchParams.get('generation_id'))).toContain(dropped);
	} finally {
		await new Promise((resolve) => gateway.close(resolve));
	}
});
