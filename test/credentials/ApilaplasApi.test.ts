import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { testCredential } from '../helpers/credential-test';
import { TEST_KEY, useEmulator } from '../helpers/emulator';

const env = useEmulator({ apis: 'both' });

/** A host that answers every path with 200 and a web page: a dashboard or docs address pasted by mistake. */
async function webPageServer(): Promise<{ url: string; close: () => Promise<void> }> {
	const server = http.createServer((_req, res) => {
		res.writeHead(200, { 'Content-Type': 'text/html' });
		res.end('<!doctype html><html><body><h1>Apilaplas dashboard</h1></body></html>');
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A careless gateway: answers every request with `status` and a JSON body quoting its Authorization header. */
async function echoingServer(status: number, body: (authorization: string) => unknown): Promise<{ url: string; close: () => Promise<void> }> {
	const server = http.createServer((req, res) => {
		res.writeHead(status, { 'Content-Type': 'application/json' });
		res.end(JSON.stringify(body(req.headers.authorization ?? '')));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('the Apilaplas API credential test', () => {
	test('a good key on a gateway with both APIs: OK, names both, spends nothing', async () => {
		const result = await testCredential({ apiKey: TEST_KEY, baseUrl: env.emulator.baseUrl });
		expect(result.status).toBe('OK');
		expect(result.message).toMatch(/both Luma APIs/);
		expect(env.emulator.count('create')).toBe(0);
		expect(env.emulator.log.every((entry) => entry.method === 'GET')).toBe(true);
	});

	test.each([
		['luma', /serves the Luma endpoint/],
		['unified', /serves the unified video API/],
	] as const)('a gateway that serves only the %s API: OK, and says which', async (apis, says) => {
		env.emulator.configure({ apis });
		const result = await testCredential({ apiKey: TEST_KEY, baseUrl: env.emulator.baseUrl });
		expect(result).toEqual({ status: 'OK', message: expect.stringMatching(says) });
	});

	test('the API named in the credential is the only one read; one the gateway lacks fails', async () => {
		env.emulator.configure({ apis: 'luma' });
		const result = await testCredential({ apiKey: TEST_KEY, baseUrl: env.emulator.baseUrl, api: 'unified' });
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/does not serve the unified video API.*Automatic/);
		expect((await testCredential({ apiKey: TEST_KEY, baseUrl: env.emulator.baseUrl, api: 'luma' })).status).toBe('OK');
	});

	test('a key with spaces around it is trimmed; a trailing slash on the Base URL is fine', async () => {
		expect((await testCredential({ apiKey: `  ${TEST_KEY}\n`, baseUrl: `${env.emulator.baseUrl}/` })).status).toBe('OK');
	});

	test('a wrong key fails and says to check the key', async () => {
		const result = await testCredential({ apiKey: 'sk-wrong-key-123', baseUrl: env.emulator.baseUrl });
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/API key was refused \(HTTP 401\).*Check the API Key/);
	});

	test('an empty key fails before any request', async () => {
		const result = await testCredential({ apiKey: '  ', baseUrl: env.emulator.baseUrl });
		expect(result).toEqual({ status: 'Error', message: expect.stringMatching(/API Key is empty/) });
		expect(env.emulator.log).toHaveLength(0);
	});

	test('an account out of credits fails and says so', async () => {
		env.emulator.failNext('probe', '403', '403');
		const result = await testCredential({ apiKey: TEST_KEY, baseUrl: env.emulator.baseUrl });
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/out of credits/);
	});

	test('a gateway in trouble fails with "test again later", not OK', async () => {
		env.emulator.failNext('probe', '503', '503');
		const result = await testCredential({ apiKey: TEST_KEY, baseUrl: env.emulator.baseUrl });
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/HTTP 503.*test again later/);
	});

	test('the API path repeated in the Base URL (…/v2) fails and says to drop it', async () => {
		const result = await testCredential({ apiKey: TEST_KEY, baseUrl: `${env.emulator.baseUrl}/v2` });
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/Neither of the gateway's Luma APIs answers.*ends in "\/v2".*should most likely be http:\/\/127\.0\.0\.1/);
	});

	test('a host that answers every path with a web page fails: not the API', async () => {
		const page = await webPageServer();
		try {
			const result = await testCredential({ apiKey: TEST_KEY, baseUrl: page.url });
			expect(result.status).toBe('Error');
			expect(result.message).toMatch(/is not the Apilaplas API: it answered with a web page \(HTML\)/);
		} finally {
			await page.close();
		}
	});

	test('nothing listening at the Base URL fails and says to check it', async () => {
		const page = await webPageServer();
		await page.close();
		const result = await testCredential({ apiKey: TEST_KEY, baseUrl: page.url });
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/No answer from .*nothing answers at that address/i);
	});

	test('a Base URL without a scheme fails with how to write it', async () => {
		const result = await testCredential({ apiKey: TEST_KEY, baseUrl: 'api.apilaplas.com' });
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/https:\/\/api\.apilaplas\.com/);
	});

	test.each([
		[
			'a gateway in trouble (HTTP 503)',
			503,
			(authorization: string) => ({ message: `Upstream refused the header ${authorization}` }),
			(url: string) =>
				`The server at ${url} answered HTTP 503 (Upstream refused the header Bearer [redacted]), so the key could not be checked. The gateway or the model is in trouble: test again later.`,
		],
		[
			'a 200 that is not a generation',
			200,
			(authorization: string) => ({ debug: { authorization } }),
			(url: string) => `${url} is not the Apilaplas API: it answered with JSON that is not a generation ({"debug":{"authorization":"Bearer [redacted]"}})`,
		],
	])('a server that echoes the key in %s: the verdict quotes it with the key redacted', async (_label, status, body, expected) => {
		const server = await echoingServer(status, body);
		try {
			const result = await testCredential({ apiKey: TEST_KEY, baseUrl: server.url });
			expect(result.status).toBe('Error');
			const says = expected(server.url);
			expect(result.message.slice(0, says.length)).toBe(says);
			expect(JSON.stringify(result)).not.toContain(TEST_KEY);
		} finally {
			await server.close();
		}
	});

	test('the emulator echoing the key in a 502 to both reads: the verdict quotes it with the key redacted', async () => {
		env.emulator.failNext('probe', 'echo-auth-502', 'echo-auth-502');
		const result = await testCredential({ apiKey: TEST_KEY, baseUrl: env.emulator.baseUrl });
		expect(result).toEqual({
			status: 'Error',
			message: `The server at ${env.emulator.baseUrl} answered HTTP 502 (Upstream refused the header Bearer [redacted]), so the key could not be checked. The gateway or the model is in trouble: test again later.`,
		});
		expect(JSON.stringify(result)).not.toContain(TEST_KEY);
	});
});
