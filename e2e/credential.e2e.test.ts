/**
 * The credential test as a user runs it in the editor ("Test" on the credential): real n8n's
 * credentials tester behind POST /rest/credentials/test, against the emulator. Runs on the line
 * E2E_N8N_LINE picks (2.x by default; CI runs it on 1.x too, where ignoreHttpStatusErrors is a boolean).
 */
import { LumaEmulator } from '../test/emulator/emulator';
import { CREDENTIAL_ID, CREDENTIAL_NAME, writeCredentialFile } from './lib/examples';
import type { N8nRest, RunningN8n } from './lib/runtime';
import { importFile, n8nVersion, prepareHome, startLoggedIn } from './lib/runtime';

const KEY = 'e2e-key-credential-5d1e';
let emulator: LumaEmulator;
let n8n: RunningN8n | undefined;
let rest: N8nRest;

beforeAll(async () => {
	emulator = await new LumaEmulator({ keys: [KEY] }).start();
	const home = await prepareHome('e2e-credential', process.env.E2E_TARBALL!, 5732);
	await importFile(home, 'credentials', writeCredentialFile(KEY, emulator.baseUrl));
	({ n8n, rest } = await startLoggedIn(home));
});

afterAll(async () => {
	await n8n?.stop();
	await emulator?.stop();
});

beforeEach(() => emulator.resetCounters());

/** What the editor sends when the user edits the stored credential's key and presses Test. */
function testWithKey(apiKey: string): Promise<unknown> {
	return rest.request('POST', '/credentials/test', {
		credentials: { id: CREDENTIAL_ID, name: CREDENTIAL_NAME, type: 'apilaplasApi', data: { apiKey, baseUrl: emulator.baseUrl } },
	});
}

describe(`the credential test in n8n ${n8nVersion()}`, () => {
	test('a good key: "Connection successful!", one free read, nothing created', async () => {
		expect(await testWithKey(KEY)).toEqual({ status: 'OK', message: 'Connection successful!' });
		expect(emulator.log.map((entry) => [entry.method, entry.endpoint, entry.status, entry.authorization])).toEqual([
			['GET', 'fetchOne', 404, `Bearer ${KEY}`],
		]);
	});

	test('a wrong key is rejected with the 401 message', async () => {
		expect(await testWithKey('sk-not-a-real-key')).toEqual({ status: 'Error', message: 'The API key is missing or invalid (HTTP 401)' });
		// n8n 2.x sends a request again once after a 401 (its credential refresh): free reads all the same.
		expect(new Set(emulator.log.map((entry) => `${entry.method} ${entry.endpoint} ${entry.status}`))).toEqual(new Set(['GET fetchOne 401']));
	});

	test('an account out of credits is rejected with the 403 message', async () => {
		emulator.failNext('fetchOne', '403');
		expect(await testWithKey(KEY)).toEqual({
			status: 'Error',
			message: 'The API key was accepted but the account is out of credits (HTTP 403)',
		});
		expect(emulator.log.map((entry) => entry.status)).toEqual([403]);
	});
});
