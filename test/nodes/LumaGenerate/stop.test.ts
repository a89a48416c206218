/**
 * Stop while a create is in flight, then Retry the execution, through n8n's engine. The gateway
 * has billed the create; its answer (with the id) comes back only after the Stop. The node must
 * still read it, the Retry must not send that create again, and its id must reach the output. A
 * gate between the node and the emulated gateway holds the create's answer until the execution
 * has stopped, so the order never depends on timing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INode } from 'n8n-workflow';

import type { RunResult } from '../../helpers/engine';
import { chain, GENERATE_TYPE, items, logLines, node, runWorkflow, TRIGGER_TYPE } from '../../helpers/engine';
import { useEmulator } from '../../helpers/emulator';

const env = useEmulator();

const PROMPTS = ['A lighthouse in a storm', 'A fox crossing a frozen lake'];

/**
 * A pass-through to the emulator that holds the answer to the first create until `release()`.
 * `answered` resolves once the gateway answered that create (it is billed) while the node still waits.
 */
async function gate(target: string) {
	let release!: () => void;
	const released = new Promise<void>((resolve) => (release = resolve));
	let answered!: () => void;
	const createAnswered = new Promise<void>((resolve) => (answered = resolve));
	let held = false;
	const server = http.createServer((req, res) => {
		const upstream = http.request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (answer) => {
			// The Luma endpoint's create (docs/API.md §2.1); a probe or a read passes at once.
			const hold = req.method === 'POST' && req.url === '/v2/generate/video/luma-ai/generation' && !held;
			if (hold) held = true;
			void (hold ? (answered(), released) : Promise.resolve()).then(() => {
				res.writeHead(answer.statusCode ?? 502, answer.headers);
				answer.pipe(res);
			});
		});
		req.pipe(upstream);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
	return { url, createAnswered, release, close };
}

function generate(credentials: { apiKey: string; baseUrl: string }, options: { cancelOn?: Promise<unknown>; retryOf?: RunResult } = {}) {
	return runWorkflow({
		nodes: [
			node('Trigger', TRIGGER_TYPE),
			{ ...node('Generate', GENERATE_TYPE, { prompt: '={{ $json.prompt }}', options: { createsPerMinute: 600 } }), typeVersion: 2 } as INode,
		],
		connections: chain('Trigger', 'Generate'),
		items: items(...PROMPTS.map((prompt) => ({ prompt }))),
		credentials,
		...options,
	});
}

test('Stop with a create in flight, then Retry: the create is not sent again, and its id reaches the output', async () => {
	const proxy = await gate(env.credentials.baseUrl);
	try {
		const credentials = { ...env.credentials, baseUrl: proxy.url };
		const stopping = generate(credentials, { cancelOn: proxy.createAnswered });
		await proxy.createAnswered;
		// The Stop (a reaction to the same event, registered when the run started) has run once the
		// microtasks queued by that event have: only then does the answer go on its way.
		await new Promise((resolve) => setImmediate(resolve));
		// The first prompt is billed; its id has not reached n8n yet.
		expect(Object.fromEntries(env.emulator.createsByPrompt)).toEqual({ [PROMPTS[0]]: 1 });
		const [firstId] = [...env.emulator.generations.keys()];
		proxy.release();

		// The answer comes back after the Stop; the node still reads it (its log line names the id) and sends nothing more.
		const stopped = await stopping;
		expect(stopped.run.status).toBe('canceled');
		expect(logLines.filter((line) => line.message.includes('Luma Generate: created generation')).map((line) => line.message)).toEqual([
			expect.stringContaining(`created generation ${firstId} for item 0`),
		]);

		const retried = await generate(credentials, { retryOf: stopped });
		expect(retried.error).toBeUndefined();
		const out = retried.outputs('Generate')[0];
		expect(out.map((item) => item.json.prompt)).toEqual(PROMPTS);
		expect(out[0].json).toMatchObject({ id: firstId, reusedFromEarlierTry: true });
		expect(out[1].json.id).toEqual(expect.any(String));
		expect(out[1].json.id).not.toBe(firstId);
		// Each prompt billed once: the Retry sent only the second, which the stopped run never sent.
		expect(Object.fromEntries(env.emulator.createsByPrompt)).toEqual({ [PROMPTS[0]]: 1, [PROMPTS[1]]: 1 });
		expect(env.emulator.count('create')).toBe(2);
	} finally {
		proxy.release();
		await proxy.close();
	}
});
