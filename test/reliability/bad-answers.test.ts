/**
 * What a user sees when the configuration or the server is wrong: the credential's Base URL and
 * key, and answers the nodes cannot read. Each error is clear, quotes a short part of what came
 * back, and never holds the key.
 */
import { normalizeBaseUrl } from '../../nodes/shared/transport';
import { chain, GENERATE_TYPE, items, logLines, node, runWorkflow, TRIGGER_TYPE, WAIT_TYPE } from '../helpers/engine';
import { TEST_KEY, useEmulator } from '../helpers/emulator';
import { withClockJump } from '../helpers/events';
import { timing } from '../../nodes/shared/timing';

const env = useEmulator();
const ID = '0f3ea4aa-10e7-4dae-af0b-263ab4ac45f9';

function generate(credentials = env.credentials) {
	return runWorkflow({
		nodes: [node('Trigger', TRIGGER_TYPE), node('Generate', GENERATE_TYPE, { prompt: 'A lighthouse at dawn' })],
		connections: chain('Trigger', 'Generate'),
		items: items({}),
		credentials,
	});
}

/** Max Wait never ends a wait unless the test sets it: an outcome must not race the clock. */
function waitFor(id: string, maxWaitSeconds = 21_600) {
	return runWorkflow({
		nodes: [node('Trigger', TRIGGER_TYPE), node('Wait', WAIT_TYPE, { maxWaitSeconds })],
		connections: chain('Trigger', 'Wait'),
		items: items({ id }),
		credentials: env.credentials,
	});
}

describe('the Base URL and the key in the credential', () => {
	test.each([
		['a Base URL without scheme', 'api.apilaplas.com', 'The Base URL "api.apilaplas.com" is not a URL: write it with its scheme, e.g. https://api.apilaplas.com'],
		['a Base URL with another scheme', 'ftp://api.apilaplas.com', 'The Base URL "ftp://api.apilaplas.com" must start with http:// or https://, e.g. https://api.apilaplas.com'],
	])('%s: a clear error, nothing sent', async (_label, baseUrl, message) => {
		const result = await generate({ apiKey: TEST_KEY, baseUrl });
		expect(result.error?.message).toBe(message);
		expect(result.error?.description).toBe('Fix the Base URL in the Apilaplas API credential.');
		expect(env.emulator.log).toHaveLength(0);
	});

	test('an empty Base URL means the default gateway', () => {
		expect(normalizeBaseUrl('')).toBe('https://api.apilaplas.com');
		expect(normalizeBaseUrl('   ')).toBe('https://api.apilaplas.com');
	});

	test('a Base URL with a trailing slash, spaces, or a path prefix still works', async () => {
		env.emulator.configure({ pathPrefix: '/gateway/luma' });
		const result = await generate({ apiKey: TEST_KEY, baseUrl: `  ${env.emulator.baseUrl}/gateway/luma//  ` });
		expect(result.error).toBeUndefined();
		// The two free reads that find the API, then the create: all under the prefix.
		expect(env.emulator.log.filter((entry) => entry.endpoint !== 'probe').map((entry) => entry.url)).toEqual(['/gateway/luma/v2/generate/video/luma-ai/generation']);
		expect(env.emulator.log.every((entry) => entry.url.startsWith('/gateway/luma/v2/'))).toBe(true);
		expect(env.emulator.acceptedCreates).toBe(1);
	});

	test('a key with whitespace around it is trimmed', async () => {
		const result = await generate({ apiKey: `\t${TEST_KEY} \n`, baseUrl: env.emulator.baseUrl });
		expect(result.error).toBeUndefined();
		expect(env.emulator.log[0].authorization).toBe(`Bearer ${TEST_KEY}`);
	});

	test('an empty key: the server refuses it, and the error says what to do', async () => {
		const result = await generate({ apiKey: '', baseUrl: env.emulator.baseUrl });
		// Refused already by the free read that finds the gateway's API: nothing is sent to create.
		expect(result.error?.message).toBe('The API key was refused (HTTP 401)');
		expect(result.error?.description).toMatch(/^Check the API Key in the Apilaplas API credential/);
		expect(env.emulator.count('create')).toBe(0);
		expect(env.emulator.acceptedCreates).toBe(0);
	});
});

describe('answers the nodes cannot read', () => {
	// A create is never sent twice, so an unreadable answer to one is reported at once, as a
	// generation that may have been billed; a fetch is asked again, then reported.
	test.each([
		['malformed JSON', 'malformed', /The server's answer is not JSON: \{"id": "broken", "state":/],
		['an HTML error page', 'html', /HTTP 502: <html><head><title>502 Bad Gateway<\/title>/],
		['an empty body', 'empty', /The server sent an empty answer\./],
		['an unknown state', 'unknown-state', /unknown generation state "exploded": \{"id":"[0-9a-f-]{36}"/],
		['a 200 without an id', 'no-id', /has no generation id: \{"state":"queued"/],
	] as const)('to a create: %s', async (_label, kind, message) => {
		env.emulator.failNext('create', { kind, afterAccept: kind !== 'html' });
		const result = await generate();
		expect(result.error?.message).toMatch(message);
		expect(result.error?.message).toMatch(/may have been created and billed/);
		expect(env.emulator.count('create')).toBe(1);
		expect(JSON.stringify([result.error?.message, result.error?.description, logLines])).not.toContain(TEST_KEY);
	});

	test.each([
		['malformed JSON', 'malformed', /^Fetching generation .*: The server's answer is not JSON: \{"id": "broken", "state":/],
		['an empty body', 'empty', /^Fetching generation .*: The server sent an empty answer\./],
		['an unknown state', 'unknown-state', /^Fetching generation .*: The server answered with an unknown generation state "exploded"/],
		['a 200 without an id', 'no-id', /^Fetching generation .*: The server's answer has no generation id: \{"state":"queued"/],
	] as const)('to every fetch: %s', async (_label, kind, message) => {
		const id = env.emulator.seed('a quiet meadow');
		env.emulator.failNext('fetchOne', ...Array.from({ length: 1000 }, () => kind));
		// A server that keeps answering garbage is asked again until Max Wait: the item times out
		// with the reason, never lands in Failed (the generation itself may be fine).
		// Max Wait (20 s) in real seconds: it passes only when the clock jumps, once the node asked
		// again after a read gave up on the garbage (its sixth fetch). With 200 ms of Max Wait, a busy
		// machine once got no whole read (5 tries and their backoff) done in time: no reason to give.
		timing.secondMs = 1_000;
		const fetches = () => env.emulator.count('fetchOne');
		const result = await withClockJump(() => fetches() >= 6, 20_000, () => waitFor(id, 20));
		expect(result.outputs('Wait')[1]).toEqual([]);
		const [timedOut] = result.outputs('Wait')[2];
		expect(timedOut.json.lastError).toMatch(message);
		expect(JSON.stringify([result.run.data, logLines])).not.toContain(TEST_KEY);
	});

	test('an answer for an unknown id is an error quoting the server, never a hang', async () => {
		const result = await waitFor(ID);
		expect(result.error?.message).toBe(`Fetching generation ${ID} failed with HTTP 404: Generation ${ID} not found`);
	});
});
