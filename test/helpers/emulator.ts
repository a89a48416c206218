import type { ApiName, EmulatorOptions } from '../emulator/emulator';
import { defaultApis, LumaEmulator } from '../emulator/emulator';
import { scaleTiming } from '../../nodes/shared/timing';

export const TEST_KEY = 'sk-test-7f3a9c1e5b2d4a6f8e0c';

/**
 * Whether the emulators of this run serve `api` by default: `LUMA_EMULATOR_APIS=unified npx jest ...`
 * runs every suite against a gateway with only the unified API (unset: both). A test that needs one
 * API can skip itself: `(emulatorServes('luma') ? test : test.skip)(...)`, or pass `apis` itself.
 */
export function emulatorServes(api: ApiName): boolean {
	const apis = defaultApis();
	return apis === 'both' || apis === api;
}

/**
 * An emulator per test, on a fast clock; the nodes' own delays are scaled to match (`scaleTiming`),
 * their request timeouts are not: a test of a server that never answers sets one on `timing`.
 * The APIs it serves come from `options.apis`, else from LUMA_EMULATOR_APIS, else both.
 */
export function useEmulator(options: EmulatorOptions = {}, timeScale = 0.01) {
	const state: { emulator: LumaEmulator; credentials: { apiKey: string; baseUrl: string } } = {} as never;
	beforeEach(async () => {
		scaleTiming(timeScale);
		state.emulator = await new LumaEmulator({
			keys: [TEST_KEY],
			holdMs: 300,
			queuedMs: 100,
			dreamingMs: 200,
			...options,
		}).start();
		state.credentials = { apiKey: TEST_KEY, baseUrl: state.emulator.baseUrl };
	});
	afterEach(async () => {
		await state.emulator.stop();
		scaleTiming(1);
	});
	return state;
}
