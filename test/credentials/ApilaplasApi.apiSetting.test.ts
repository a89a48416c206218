/**
 * A credential pinned to one API (its API setting Luma Endpoint or Unified Video API), through
 * n8n's engine: the nodes send everything to that API, never probe which APIs the gateway
 * serves, and say clearly when the gateway does not serve the one the credential names.
 */
import type { INode } from 'n8n-workflow';

import { chain, GENERATE_TYPE, items, node, runWorkflow, TRIGGER_TYPE, WAIT_TYPE } from '../helpers/engine';
import { useEmulator } from '../helpers/emulator';

const env = useEmulator({ apis: 'both' });

const COMPLETED = 0;
const UNKNOWN_HERE = '0f3ea4aa-10e7-4dae-af0b-263ab4ac45f9';

function generateAndWait(api: 'luma' | 'unified', generate: INode['parameters'], prompts: string[]) {
	return runWorkflow({
		nodes: [node('Trigger', TRIGGER_TYPE), { ...node('Generate', GENERATE_TYPE, generate), typeVersion: 2 }, node('Wait', WAIT_TYPE, { maxWaitSeconds: 21_600 })],
		connections: chain('Trigger', 'Generate', 'Wait'),
		items: items(...prompts.map((prompt) => ({ prompt }))),
		credentials: { ...env.credentials, api },
	});
}

function waitFor(api: 'luma' | 'unified', id: string) {
	return runWorkflow({
		nodes: [node('Trigger', TRIGGER_TYPE), node('Wait', WAIT_TYPE, { generationId: '={{ $json.id }}' })],
		connections: chain('Trigger', 'Wait'),
		items: items({ id }),
		credentials: { ...env.credentials, api },
	});
}

/** Every request the emulator saw, as [endpoint, API that took it], assets left out. */
const requests = () => env.emulator.log.filter((entry) => entry.endpoint !== 'asset').map((entry) => [entry.endpoint, entry.api]);

describe.each(['luma', 'unified'] as const)('a credential pinned to %s, on a gateway serving both', (api) => {
	test('Luma Generate creates there and Luma Wait asks there, every video completed; nothing probes the other API', async () => {
		const prompts = ['A lighthouse in a storm', 'A fox in the snow'];
		const result = await generateAndWait(api, { prompt: '={{ $json.prompt }}' }, prompts);
		expect(result.error).toBeUndefined();
		const done = result.outputs('Wait')[COMPLETED];
		expect(done.map((item) => [item.json.prompt, item.json.state, item.json.api])).toEqual([
			['A lighthouse in a storm', 'completed', api],
			['A fox in the snow', 'completed', api],
		]);
		expect(env.emulator.count('probe')).toBe(0);
		expect(env.emulator.count('create')).toBe(2);
		// Every request, creates and reads alike, went to the pinned API.
		expect(requests().length).toBeGreaterThan(2);
		expect(requests().filter(([, to]) => to !== api)).toEqual([]);
	});
});

describe('a credential pinned to an API the gateway does not serve', () => {
	test('Luma Generate on the unified video API, gateway serving only the Luma endpoint: one create refused as no such route, nothing created, the error says to set API to Automatic', async () => {
		env.emulator.configure({ apis: 'luma' });
		const result = await generateAndWait('unified', { prompt: '={{ $json.prompt }}' }, ['A lighthouse in a storm']);
		expect(result.error?.message).toBe(
			`Creating the generation for item 0 failed: ${env.emulator.baseUrl} does not serve the unified video API (/v2/video/generations) (no such route). Nothing was created.`,
		);
		expect(result.error?.description).toBe('Set API to Automatic in the Apilaplas API credential, or check its Base URL.');
		expect(env.emulator.log.map((entry) => [entry.method, entry.url, entry.status])).toEqual([['POST', '/v2/video/generations', 404]]);
		expect(env.emulator.acceptedCreates).toBe(0);
	});

	test('Luma Wait on the Luma endpoint, gateway serving only the unified video API: the error says the route does not exist, not that the generation is unknown; the unified API is never asked', async () => {
		env.emulator.configure({ apis: 'unified' });
		const id = env.emulator.seed('made on the unified API');
		const result = await waitFor('luma', id);
		expect(result.error?.message).toBe(`Fetching generation ${id} failed with HTTP 404: Cannot GET /v2/generate/video/luma-ai/generation`);
		expect(result.error?.description).toMatch(
			/^The gateway has no such route: it does not serve this API at this Base URL\. In the Apilaplas API credential, set API to Automatic \(or to the API the gateway serves\), or check the Base URL\./,
		);
		expect(result.error?.description).not.toMatch(/does not know this generation/);
		expect(requests().filter(([, to]) => to === 'unified')).toEqual([]);
		expect(env.emulator.count('probe')).toBe(0);
	});

	test('an unknown id on the API the credential names is still "does not know this generation"', async () => {
		const result = await waitFor('luma', UNKNOWN_HERE);
		expect(result.error?.message).toBe(`Fetching generation ${UNKNOWN_HERE} failed with HTTP 404: Generation ${UNKNOWN_HERE} not found`);
		expect(result.error?.description).toMatch(/^The server does not know this generation: check the generation ID\./);
		expect(requests().filter(([, to]) => to === 'unified')).toEqual([]);
	});

	test('Ray 3.2 with the credential pinned to the Luma endpoint is refused before anything is sent, naming the item, the field and the API', async () => {
		const result = await generateAndWait('luma', { prompt: '={{ $json.prompt }}', model: 'ray-3.2' }, ['A lighthouse in a storm']);
		expect(result.error?.message).toBe(
			'Model "Ray 3.2" (with HDR, EXR export, Edit Video and Reframe Video) is served only by the gateway\'s unified video API (this gateway serves only the Luma endpoint (/v2/generate/video/luma-ai)) [item 0]',
		);
		expect(result.error?.description).toMatch(/unified video API \(\/v2\/video\/generations\) with the credential's API set to Automatic\.$/);
		expect(env.emulator.log).toEqual([]);
	});
});
