import type { N8nLine } from '../../e2e/lib/runtime';
import { testCredential } from '../helpers/credential-test';
import { TEST_KEY, useEmulator } from '../helpers/emulator';

const env = useEmulator();

// n8n 1.x reads the request's ignoreHttpStatusErrors as a boolean: every answer is a success there.
describe.each<N8nLine>(['2x', '1x'])('the Apilaplas API credential test, as n8n %s runs it', (line) => {
	test('succeeds with a valid key, and spends nothing', async () => {
		expect(await testCredential({ apiKey: TEST_KEY, baseUrl: env.emulator.baseUrl }, line)).toEqual({
			status: 'OK',
			message: 'Connection successful!',
		});
		expect(env.emulator.count('create')).toBe(0);
		expect(env.emulator.count('fetchOne')).toBeGreaterThanOrEqual(1);
		expect(env.emulator.log.every((entry) => entry.method === 'GET')).toBe(true);
	});

	test('a key with spaces around it is trimmed', async () => {
		expect((await testCredential({ apiKey: `  ${TEST_KEY}\n`, baseUrl: env.emulator.baseUrl }, line)).status).toBe('OK');
	});

	test('a base URL with a trailing slash still works', async () => {
		expect((await testCredential({ apiKey: TEST_KEY, baseUrl: `${env.emulator.baseUrl}/` }, line)).status).toBe('OK');
	});

	test('fails clearly with an invalid key', async () => {
		expect(await testCredential({ apiKey: 'sk-wrong', baseUrl: env.emulator.baseUrl }, line)).toEqual({
			status: 'Error',
			message: 'The API key is missing or invalid (HTTP 401)',
		});
	});

	test('fails clearly with a missing key', async () => {
		expect(await testCredential({ apiKey: '', baseUrl: env.emulator.baseUrl }, line)).toEqual({
			status: 'Error',
			message: 'The API key is missing or invalid (HTTP 401)',
		});
		expect(env.emulator.count('create')).toBe(0);
	});

	test('says when the account is out of credits', async () => {
		env.emulator.failNext('fetchOne', '403');
		expect(await testCredential({ apiKey: TEST_KEY, baseUrl: env.emulator.baseUrl }, line)).toEqual({
			status: 'Error',
			message: 'The API key was accepted but the account is out of credits (HTTP 403)',
		});
	});

	test('says when the gateway is down', async () => {
		env.emulator.failNext('fetchOne', '503');
		expect(await testCredential({ apiKey: TEST_KEY, baseUrl: env.emulator.baseUrl }, line)).toEqual({
			status: 'Error',
			message: 'The service is unavailable (HTTP 503): try again later',
		});
	});
});

test('on n8n 2.x the status decides, whatever the body (a proxy\'s HTML 502 page)', async () => {
	env.emulator.failNext('fetchOne', 'html');
	expect(await testCredential({ apiKey: TEST_KEY, baseUrl: env.emulator.baseUrl }, '2x')).toEqual({
		status: 'Error',
		message: 'The gateway could not reach the model (HTTP 502): try again later',
	});
});
