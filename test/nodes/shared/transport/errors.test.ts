/**
 * The API key never reaches what a user or a log reads, even when the server echoes the request's
 * Authorization header back in its error body: each error path of `errors.ts`, through n8n's
 * engine against the emulator. Each test also checks the echo reached the message, redacted, so
 * it fails if the redaction goes.
 */
import type { RunResult } from '../../../helpers/engine';
import { chain, GENERATE_TYPE, items, logLines, node, runWorkflow, TRIGGER_TYPE, WAIT_TYPE } from '../../../helpers/engine';
import { TEST_KEY, useEmulator } from '../../../helpers/emulator';

const env = useEmulator({ apis: 'both' });

function generateOne(): Promise<RunResult> {
	return runWorkflow({
		nodes: [node('Trigger', TRIGGER_TYPE), node('Generate', GENERATE_TYPE, { prompt: 'A lighthouse in a storm' })],
		connections: chain('Trigger', 'Generate'),
		items: items({}),
		credentials: env.credentials,
	});
}

/** Luma Wait on one generation, with its default Max Wait. */
function waitFor(id: string): Promise<RunResult> {
	return runWorkflow({
		nodes: [node('Trigger', TRIGGER_TYPE), node('Wait', WAIT_TYPE, { generationId: id })],
		connections: chain('Trigger', 'Wait'),
		items: items({}),
		credentials: env.credentials,
	});
}

/** Everything a user or an operator reads of a run: the error, the run data, n8n's log. */
function everythingSeen(result: RunResult): string {
	return JSON.stringify([result.error?.message, result.error?.description, (result.error as { context?: unknown })?.context, result.run.data, logLines]);
}

describe('a server that echoes the key in an error body', () => {
	test('a refused read (HTTP 400): the error quotes the server with the key redacted', async () => {
		const id = env.emulator.seed('a calm lake');
		env.emulator.failNext('fetchOne', 'echo-auth');
		env.emulator.failNext('fetchMany', 'echo-auth');
		const result = await waitFor(id);
		expect(result.error?.message).toBe(`Fetching generation ${id} failed with HTTP 400: Bad request with header Bearer [redacted]`);
		expect(everythingSeen(result)).not.toContain(TEST_KEY);
	});

	test('a create answered HTTP 502 (it may have been created): the error quotes the server with the key redacted', async () => {
		env.emulator.failNext('create', 'echo-auth-502');
		const result = await generateOne();
		expect(result.error?.message).toBe(
			'Creating the generation for item 0 failed after it may have reached the server (HTTP 502: Upstream refused the header Bearer [redacted]). A generation may have been created and billed (500,000 tokens).',
		);
		expect(env.emulator.count('create')).toBe(1);
		expect(everythingSeen(result)).not.toContain(TEST_KEY);
	});

	test('a create answered with a body that is not JSON: the error quotes it with the key redacted', async () => {
		env.emulator.failNext('create', { kind: 'echo-auth-text', afterAccept: true });
		const result = await generateOne();
		expect(result.error?.message).toBe(
			"Creating the generation for item 0 failed after it may have reached the server (The server's answer is not JSON: debug: authorization=Bearer [redacted]). A generation may have been created and billed (500,000 tokens).",
		);
		expect(everythingSeen(result)).not.toContain(TEST_KEY);
	});

	test('reads answered with a body that is not JSON until Max Wait: the timed-out item\'s last error quotes it with the key redacted', async () => {
		const id = env.emulator.seed('a calm lake');
		const echoes = Array.from({ length: 200 }, () => 'echo-auth-text' as const);
		env.emulator.failNext('fetchOne', ...echoes);
		env.emulator.failNext('fetchMany', ...echoes);
		const result = await runWorkflow({
			nodes: [node('Trigger', TRIGGER_TYPE), node('Wait', WAIT_TYPE, { generationId: id, maxWaitSeconds: 30 })],
			connections: chain('Trigger', 'Wait'),
			items: items({}),
			credentials: env.credentials,
		});
		const [timedOut] = result.outputs('Wait')[2];
		expect(timedOut.json).toMatchObject({ id, timedOut: true, lastError: expect.stringContaining("not JSON: debug: authorization=Bearer [redacted]") });
		expect(everythingSeen(result)).not.toContain(TEST_KEY);
	});
});
