/**
 * The credential test as a user runs it in the editor ("Test" on the credential): real n8n's
 * credentials tester behind POST /rest/credentials/test, against the emulator. Runs on the line
 * E2E_N8N_LINE picks (2.x by default; CI runs it on 1.x too): it must say OK only for the API, and name it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

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

/** What the editor sends when the user edits the stored credential and presses Test. */
function testWith(apiKey: string, baseUrl = emulator.baseUrl): Promise<unknown> {
	return rest.request('POST', '/credentials/test', {
		credentials: { id: CREDENTIAL_ID, name: CREDENTIAL_NAME, type: 'apilaplasApi', data: { apiKey, baseUrl, api: 'auto' } },
	});
}

describe(`the credential test in n8n ${n8nVersion()}`, () => {
	test.each([
		['both', /both Luma APIs/],
		['luma', /serves the Luma endpoint/],
		['unified', /serves the unified video API/],
	] as const)('a good key on a gateway serving %s: OK, names the API, free reads only', async (apis, says) => {
		emulator.configure({ apis });
		expect(await testWith(KEY)).toEqual({ status: 'OK', message: expect.stringMatching(says) });
		expect(emulator.log.length).toBeGreaterThan(0);
		expect(emulator.log.every((entry) => entry.method === 'GET' && entry.authorization === `Bearer ${KEY}`)).toBe(true);
		expect(emulator.acceptedCreates).toBe(0);
	});

	test('a wrong key fails and says to check the key', async () => {
		emulator.configure({ apis: 'both' });
		expect(await testWith('sk-not-a-real-key')).toEqual({ status: 'Error', message: expect.stringMatching(/API key was refused \(HTTP 401\)/) });
	});

	test('an account out of credits fails and says so', async () => {
		emulator.configure({ apis: 'both' });
		emulator.failNext('probe', '403', '403');
		expect(await testWith(KEY)).toEqual({ status: 'Error', message: expect.stringMatching(/out of credits/) });
	});

	test('the API path repeated in the Base URL fails, and says to drop it', async () => {
		emulator.configure({ apis: 'both' });
		expect(await testWith(KEY, `${emulator.baseUrl}/v2`)).toEqual({ status: 'Error', message: expect.stringMatching(/ends in "\/v2"/) });
	});

	test('a host answering every path with a web page fails: not the API', async () => {
		const page = http.createServer((_req, res) => {
			res.writeHead(200, { 'Content-Type': 'text/html' });
			res.end('<!doctype html><html><body>Docs</body></html>');
		});
		await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
		try {
			const url = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
			expect(await testWith(KEY, url)).toEqual({ status: 'Error', message: expect.stringMatching(/not the Apilaplas API: it answered with a web page/) });
		} finally {
			await new Promise<void>((resolve) => page.close(() => resolve()));
		}
	});
});
