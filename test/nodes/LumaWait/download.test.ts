/**
 * Download Video and errors that quote the key, in n8n's real engine against the emulator: a
 * video behind a redirect, a server in trouble, a body cut short; a key echoed in an error body
 * never reaches the error.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import type { INode } from 'n8n-workflow';

import { SAMPLE_MP4 } from '../../emulator/emulator';
import { binaryBuffer, chain, items, logLines, node, runWorkflow, TRIGGER_TYPE, WAIT_TYPE } from '../../helpers/engine';
import { TEST_KEY, useEmulator } from '../../helpers/emulator';

const env = useEmulator();
const COMPLETED = 0;

function wait(inputs: Array<Record<string, unknown>>, parameters: INode['parameters'] = {}) {
	return runWorkflow({
		nodes: [node('Trigger', TRIGGER_TYPE), node('Wait', WAIT_TYPE, { maxWaitSeconds: 21_600, ...parameters })],
		connections: chain('Trigger', 'Wait'),
		items: items(...inputs),
		credentials: env.credentials,
	});
}

/** A host of its own for the videos: `answer` serves each request; what it was asked is kept. */
async function assetHost(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
	const asked: Array<{ url: string; authorization?: string }> = [];
	const server = http.createServer((req, res) => {
		asked.push({ url: req.url ?? '', authorization: req.headers.authorization });
		answer(req, res);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** Everything a user or a log could see of a run. */
const everything = (result: Awaited<ReturnType<typeof wait>>) => JSON.stringify([result.error?.message, result.error?.description, result.run.data, logLines]);

describe('Download Video', () => {
	test('follows a redirect to where the video is, and sends the key to neither host', async () => {
		const host = await assetHost((req, res) => {
			res.writeHead(302, { Location: `${env.emulator.baseUrl}${req.url}` });
			res.end();
		});
		try {
			env.emulator.configure({ assetOrigin: host.origin });
			const id = env.emulator.seed('moved');
			const result = await wait([{ id }], { downloadVideo: true });
			const [item] = result.outputs('Wait')[COMPLETED];
			expect(item.json.videoUrl).toBe(`${host.origin}/assets/${id}.mp4`);
			expect((await binaryBuffer(item.binary!.data)).equals(SAMPLE_MP4)).toBe(true);
			expect(host.asked).toEqual([{ url: `/assets/${id}.mp4`, authorization: undefined }]);
			expect(env.emulator.log.filter((entry) => entry.endpoint === 'asset').map((entry) => entry.authorization)).toEqual([undefined]);
		} finally {
			await host.close();
		}
	});

	test('a 5xx is retried: the video arrives whole', async () => {
		const id = env.emulator.seed('flaky storage');
		env.emulator.failNext('asset', '503', '502');
		const result = await wait([{ id }], { downloadVideo: true });
		const [item] = result.outputs('Wait')[COMPLETED];
		expect((await binaryBuffer(item.binary!.data)).equals(SAMPLE_MP4)).toBe(true);
		expect(env.emulator.log.filter((entry) => entry.endpoint === 'asset').map((entry) => entry.status)).toEqual([503, 502, 200]);
	});

	test('a 5xx that lasts fails the item, with the generation id and the video URL', async () => {
		const id = env.emulator.seed('storage down');
		env.emulator.failNext('asset', '503', '503', '503', '503', '503');
		const result = await wait([{ id }], { downloadVideo: true });
		expect(result.error?.message).toBe(
			`Downloading the video for item 0 failed with HTTP 503: Injected 503 (generation ${id} completed; video URL: ${env.emulator.baseUrl}/assets/${id}.mp4)`,
		);
	});

	test('a body cut short is an error, never a shorter file', async () => {
		const host = await assetHost((_req, res) => {
			res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': String(SAMPLE_MP4.length) });
			res.write(SAMPLE_MP4.subarray(0, 100));
			// The connection drops mid-body.
			setImmediate(() => res.socket?.destroy());
		});
		try {
			env.emulator.configure({ assetOrigin: host.origin });
			const id = env.emulator.seed('cut short');
			const result = await wait([{ id }], { downloadVideo: true });
			expect(result.outputs('Wait')[COMPLETED] ?? []).toEqual([]);
			expect(result.error?.message).toBe(
				`Downloading the video for item 0 failed: the connection broke before the whole video arrived (aborted) (generation ${id} completed; video URL: ${host.origin}/assets/${id}.mp4)`,
			);
		} finally {
			await host.close();
		}
	});

	test('a key the server echoes in a download error never reaches the error', async () => {
		const id = env.emulator.seed('echoing storage');
		env.emulator.failNext('asset', 'echo-auth');
		const result = await wait([{ id }], { downloadVideo: true });
		expect(result.error?.message).toMatch(/HTTP 400: Bad request with header Bearer \[redacted\]/);
		expect(everything(result)).not.toContain(TEST_KEY);
	});
});

test('a key the server echoes in a fetch error never reaches the error', async () => {
	const id = env.emulator.seed('echoing gateway');
	env.emulator.failNext('fetchOne', 'echo-auth');
	const result = await wait([{ id }]);
	expect(result.error?.message).toBe(`Fetching generation ${id} failed with HTTP 400: Bad request with header Bearer [redacted]`);
	expect(everything(result)).not.toContain(TEST_KEY);
});
