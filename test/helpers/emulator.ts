import type { EmulatorOptions } from '../emulator/emulator';
import { LumaEmulator } from '../emulator/emulator';
import { scaleTiming } from '../../nodes/shared/timing';

export const TEST_KEY = 'sk-test-7f3a9c1e5b2d4a6f8e0c';

/** An emulator per test, on a fast clock; the nodes' own delays are scaled to match. */
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
