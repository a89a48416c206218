import { testCredential } from '../helpers/credential-test';
import { TEST_KEY, useEmulator } from '../helpers/emulator';

const env = useEmulator();

describe('the Apilaplas API credential test', () => {
	test('succeeds with a valid key, and spends nothing', async () => {
		expect(await testCredential({ apiKey: TEST_KEY, baseUrl: env.emulator.baseUrl })).toEqual({
			status: 'OK',
			message: 'Connection successful!',
		});
		expect(env.emulator.count('create')).toBe(0);
		expect(env.emulator.count('fetchOne')).toBeGreaterThanOrEqual(1);
		expect(env.emulator.log.every((entry) => entry.method === 'GET')).toBe(true);
	});

	test('a key with spaces around it is trimmed', async () => {
		expect((await testCredential({ apiKey: `  ${TEST_KEY}\n`, baseUrl: env.emulator.baseUrl })).status).toBe('OK');
	});

	test('a base URL with a trailing slash still works', async () => {
		expect((await testCredential({ apiKey: TEST_KEY, baseUrl: `${env.emulator.baseUrl}/` })).status).toBe('OK');
	});

	test('fails clearly with an invalid key', async () => {
		expect(await testCredential({ apiKey: 'sk-wrong', baseUrl: env.emulator.baseUrl })).toEqual({
			status: 'Error',
			message: 'The API key is missing or invalid (HTTP 401)',
		});
	});

	test('fails clearly with a missing key', async () => {
		expect(await testCredential({ apiKey: '', baseUrl: env.emulator.baseUrl })).toEqual({
			status: 'Error',
			message: 'The API key is missing or invalid (HTTP 401)',
		});
		expect(env.emulator.count('create')).toBe(0);
	});

	test('says when the account is out of credits', async () => {
		env.emulator.failNext('fetchOne', '403');
		expect((await testCredential({ apiKey: TEST_KEY, baseUrl: env.emulator.baseUrl })).message).toMatch(/out of credits/);
	});
});
