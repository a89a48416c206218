/**
 * Which of the gateway's APIs a request goes to (`gateway.ts`, docs/API.md §9.1), against the
 * emulator serving one API or both: what a user sees is where the create and the reads went.
 */
import type { VideoRequest } from '../../../../nodes/shared/models';
import { apiForCreate } from '../../../../nodes/shared/transport/gateway';
import { apiForGeneration, servedApis } from '../../../../nodes/shared/transport';
import type { ApiFlavour } from '../../../emulator/emulator';
import { LumaEmulator } from '../../../emulator/emulator';
import { TEST_KEY } from '../../../helpers/emulator';
import { scaleTiming } from '../../../../nodes/shared/timing';
import { testContext } from './context';

let emulator: LumaEmulator;

async function gateway(apis: ApiFlavour, api?: string) {
	emulator = await new LumaEmulator({ keys: [TEST_KEY], apis }).start();
	return testContext({ baseUrl: emulator.baseUrl, apiKey: TEST_KEY, ...(api ? { api } : {}) }).ctx;
}

beforeEach(() => scaleTiming(0.01));
afterEach(async () => {
	await emulator?.stop();
	scaleTiming(1);
});

const probes = () => emulator.log.filter((entry) => entry.endpoint === 'probe').length;
const ray2: VideoRequest = { prompt: 'A calm lake at dawn', aspect_ratio: '16:9', model: 'ray-2' };

describe('what the gateway serves', () => {
	test.each([
		['both', { luma: true, unified: true }],
		['luma', { luma: true, unified: false }],
		['unified', { luma: false, unified: true }],
	] as const)('a gateway serving %s is found out with two free reads, once per Base URL', async (apis, served) => {
		const ctx = await gateway(apis);
		expect(await servedApis(ctx)).toEqual(served);
		expect(await servedApis(ctx)).toEqual(served);
		// One read per API (a route the gateway lacks is logged as an unknown path).
		expect(emulator.log.map((entry) => entry.url.split('?')[0]).sort()).toEqual(['/v2/generate/video/luma-ai/generation', '/v2/video/generations']);
	});

	test('a credential naming its API is believed without a request', async () => {
		const ctx = await gateway('both', 'unified');
		expect(await servedApis(ctx)).toEqual({ luma: false, unified: true });
		expect(emulator.log).toEqual([]);
	});

	test('a check that meets only server trouble is not kept: the next request checks again', async () => {
		const ctx = await gateway('both');
		// The Luma endpoint's check meets 503 on every try (5 tries): the check fails.
		emulator.failNext('probe', ...Array.from({ length: 5 }, () => ({ kind: '503' as const, api: 'luma' as const })));
		await expect(servedApis(ctx)).rejects.toThrow(/503/);
		expect(probes()).toBe(6);
		expect(await servedApis(ctx)).toEqual({ luma: true, unified: true });
		expect(probes()).toBe(8);
	});
});

describe('where a create goes', () => {
	test('Ray 2 goes to the Luma endpoint when both are served, to the unified API when only it is', async () => {
		expect((await apiForCreate(await gateway('both'), ray2, 0)).name).toBe('luma');
		await emulator.stop();
		expect((await apiForCreate(await gateway('unified'), ray2, 0)).name).toBe('unified');
	});

	test('Ray 3.2 goes to the unified API even where the Luma endpoint is preferred', async () => {
		expect((await apiForCreate(await gateway('both'), { ...ray2, model: 'ray-3.2' }, 0)).name).toBe('unified');
	});

	test('a request no served API takes is refused before sending, naming the field and the item', async () => {
		const ctx = await gateway('unified');
		await expect(apiForCreate(ctx, { ...ray2, callback_url: 'https://example.com/hook' }, 3)).rejects.toThrow(
			"Callback URL cannot be sent to the gateway's unified video API, which has no callbacks (this gateway serves only the unified video API (/v2/video/generations)) [item 3]",
		);
		expect(emulator.log.filter((entry) => entry.endpoint === 'create')).toEqual([]);
	});
});

describe('where a wait asks', () => {
	test("the API the item's api field names, when the gateway serves it", async () => {
		const ctx = await gateway('both');
		const home = await apiForGeneration(ctx, '0f3ea4aa-10e7-4dae-af0b-263ab4ac45f9', 'unified');
		expect([home.api.name, home.orElse?.name]).toEqual(['unified', undefined]);
	});

	test('without a word of where it was made: the Luma endpoint first, the unified API if that does not know it', async () => {
		const ctx = await gateway('both');
		const home = await apiForGeneration(ctx, '0f3ea4aa-10e7-4dae-af0b-263ab4ac45f9');
		expect([home.api.name, home.orElse?.name]).toEqual(['luma', 'unified']);
	});

	test('a field naming an API the gateway does not serve is overruled by the one it serves', async () => {
		const ctx = await gateway('unified');
		const home = await apiForGeneration(ctx, '0f3ea4aa-10e7-4dae-af0b-263ab4ac45f9', 'luma');
		expect([home.api.name, home.orElse?.name]).toEqual(['unified', undefined]);
	});
});
