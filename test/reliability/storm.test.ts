/**
 * The fault storm: 1,000 prompts through Luma Generate → Luma Wait in n8n's real engine while
 * the emulator injects 5xx, 429s, resets, hanging fetches and failed generations at once.
 * Counted, not timed: nothing lost, nothing paid twice, every failure explained, no key leaked.
 */
import type { INodeExecutionData } from 'n8n-workflow';

import { timing } from '../../nodes/shared/timing';
import { chain, GENERATE_TYPE, items, logLines, node, runWorkflow, TRIGGER_TYPE, WAIT_TYPE } from '../helpers/engine';
import { TEST_KEY, useEmulator } from '../helpers/emulator';
import { until } from '../helpers/events';

const STORM = {
	faults: {
		error5xx: 0.1,
		tooMany429: 0.1,
		reset: 0.02,
		hang: 0.01,
		retryAfterMs: 20,
		on: ['create', 'fetchOne', 'fetchMany'] as const,
		// A hung create waits out the create's full timeout (a create is never sent again): that
		// case is the transport's own test; here the fetches hang.
		hangOn: ['fetchOne', 'fetchMany'] as const,
	},
	failureRate: 0.05,
};

const env = useEmulator({ holdMs: 300, queuedMs: 150, dreamingMs: 300, failureRate: STORM.failureRate, seed: 42 });

/**
 * Only a request's own timeout ends a hung fetch, and timeouts are not scaled with the delays:
 * the storm sets the long poll's. A long poll that times out is simply asked again, so a
 * timeout that cuts an answer short loses nothing; the server holds one 300 ms.
 */
beforeEach(() => {
	timing.longPollTimeoutMs = 1_000;
});

/** Jest's timeout is the only bound on how long a storm takes: a hang detector, far above a busy machine's run. */
const HANG_MS = 600_000;
/** Longer than any test runs (ms). */
const NEVER = 10_000_000;

function stormWorkflow(count: number) {
	const prompts = Array.from({ length: count }, (_, i) => ({ prompt: `Storm prompt number ${i}`, row: i }));
	return {
		nodes: [
			node('Trigger', TRIGGER_TYPE),
			{
				...node('Generate', GENERATE_TYPE, {
					prompt: '={{ $json.prompt }}',
					// Max Wait in Create Queue at its largest: a create ends on its answers, not on the clock.
					options: { maxCreatesPerRun: count, createsPerMinute: 600, maxQueueWaitMinutes: 1440 },
				}),
				onError: 'continueRegularOutput' as const,
			},
			// The largest Max Wait: every item ends on its generation's outcome, never on a slow machine's clock.
			{ ...node('Wait', WAIT_TYPE, { maxWaitSeconds: 21_600 }), onError: 'continueRegularOutput' as const },
		],
		connections: chain('Trigger', 'Generate', 'Wait'),
		items: items(...prompts),
		credentials: env.credentials,
	};
}

/** Where each input row came out, and with what. */
function collect(outputs: INodeExecutionData[][]) {
	const names = ['completed', 'failed', 'timedOut'];
	return outputs.flatMap((list, output) => list.map((item) => ({ output: names[output], row: item.json.row as number, json: item.json })));
}

describe('fault storm', () => {
	test('1,000 prompts: every item out exactly once, accepted creates = generations out, every failure explained', async () => {
		env.emulator.configure({ faults: { ...STORM.faults, on: [...STORM.faults.on], hangOn: [...STORM.faults.hangOn] } });
		const result = await runWorkflow(stormWorkflow(1000));
		expect(result.error).toBeUndefined();

		const out = collect(result.outputs('Wait'));
		expect(out).toHaveLength(1000);
		expect(new Set(out.map((entry) => entry.row)).size).toBe(1000);

		const ids = out.map((entry) => entry.json.id).filter((id): id is string => typeof id === 'string');
		expect(new Set(ids).size).toBe(ids.length);
		expect(env.emulator.acceptedCreates).toBe(ids.length);
		for (const count of env.emulator.createsByPrompt.values()) expect(count).toBe(1);

		for (const entry of out.filter((e) => e.output !== 'completed')) {
			const reason = entry.json.failureReason ?? entry.json.error ?? entry.json.lastError;
			expect(typeof reason).toBe('string');
		}
		const failedGenerations = out.filter((e) => e.json.failureReason);
		const refusedCreates = out.filter((e) => typeof e.json.error === 'string' && /may have been created/.test(e.json.error as string));
		expect(failedGenerations.length).toBeGreaterThan(20);
		expect(refusedCreates.length).toBeGreaterThan(20);
		expect(out.filter((e) => e.output === 'completed').length).toBeGreaterThan(700);

		// The faults really happened.
		expect(env.emulator.count('create', (e) => e.status === 429)).toBeGreaterThan(50);
		expect(env.emulator.count('fetchMany', (e) => e.status >= 500) + env.emulator.count('fetchOne', (e) => e.status >= 500)).toBeGreaterThan(0);

		// And the key stayed secret.
		expect(JSON.stringify([result.run.data, logLines])).not.toContain(TEST_KEY);
	}, HANG_MS);

	test('the emulator restarts in the middle of the waits: the waits resume and nothing is lost', async () => {
		// No generation ends by itself: the restart is certainly in the middle of the waits.
		env.emulator.configure({ queuedMs: NEVER });
		const running = runWorkflow(stormWorkflow(60));
		// Every create accepted, and Luma Wait's long polls held by the server.
		await until(() => env.emulator.acceptedCreates === 60 && env.emulator.holding > 0);
		await env.emulator.restart(150);
		const restartedAt = env.emulator.log.length;
		// Then every generation ends as planned at create (5% fail).
		for (const generation of env.emulator.generations.values()) {
			env.emulator.finish(generation.id, generation.outcome, 0, generation.failureReason ?? undefined);
		}
		const result = await running;
		const out = collect(result.outputs('Wait'));
		expect(out).toHaveLength(60);
		expect(new Set(out.map((entry) => entry.row)).size).toBe(60);
		expect(out.filter((e) => e.output === 'completed').length + out.filter((e) => e.json.failureReason).length).toBe(60);
		expect(env.emulator.acceptedCreates).toBe(60);
		// The outcomes came from answers after the restart: the waits resumed.
		expect(env.emulator.log.slice(restartedAt).some((entry) => entry.endpoint === 'fetchMany' && entry.status === 200)).toBe(true);
	}, HANG_MS);
});
