/**
 * Extend, Reverse Extend and Interpolate from a generation that cannot be a source (unknown on
 * this account, failed, still being made): refused after one free read, before any create, on
 * each API; a source shared by items is read once.
 */
import type { INode } from 'n8n-workflow';

import type { ApiName } from '../../emulator/emulator';
import { chain, GENERATE_TYPE, items, node, runWorkflow, TRIGGER_TYPE } from '../../helpers/engine';
import { useEmulator } from '../../helpers/emulator';

const NEVER = 1e12;
const UNKNOWN = '3b7f1f4e-9c55-4c2e-8f0a-6d1d2b9e7a10';
const MAPPED = { model: 'ray-2', prompt: '={{ $json.prompt }}', generationId: '={{ $json.source }}', firstGenerationId: '={{ $json.first }}', secondGenerationId: '={{ $json.second }}' };

describe.each<ApiName>(['luma', 'unified'])('on a gateway serving only the %s API', (api) => {
	const env = useEmulator({ apis: api });

	function generate(mode: string, inputs: Array<Record<string, unknown>>, nodeExtra: Partial<INode> = {}) {
		return runWorkflow({
			nodes: [node('Trigger', TRIGGER_TYPE), { ...node('Generate', GENERATE_TYPE, { ...MAPPED, mode }), typeVersion: 2, ...nodeExtra }],
			connections: chain('Trigger', 'Generate'),
			items: items(...inputs),
			credentials: env.credentials,
		});
	}

	const done = (prompt: string) => env.emulator.seed(prompt, { queuedMs: 0, dreamingMs: 0 }, api);
	/** Reads of one generation (the probe reads ask about another id). */
	const readsOf = (id: string) => env.emulator.log.filter((entry) => entry.endpoint !== 'create' && entry.url.includes(id)).length;

	test.each([
		['an id this account does not have', () => UNKNOWN, 'which this account does not have', /typo, or an ID from another account/],
		['a failed generation', () => env.emulator.seed('A storm [fail]', { queuedMs: 0, dreamingMs: 0 }, api), 'which failed (Contains blacklisted words)', /Only a completed generation/],
		['a generation still being made', () => env.emulator.seed('A slow dawn', { queuedMs: NEVER }, api), 'which is still being made (queued)', /Wait for it with Luma Wait first/],
	])('Extend from %s: refused naming the item and the field, after one free read, nothing created', async (_label, source, problem, fix) => {
		const good = done('A good start');
		const bad = source();
		const result = await generate('extend', [{ prompt: 'Go on', source: good }, { prompt: 'Go on', source: bad }]);
		expect(result.error?.message).toBe(`Generation ID to Extend names generation ${bad}, ${problem} [item 1]`);
		expect(result.error?.description).toMatch(/^Nothing was sent or billed\./);
		expect(result.error?.description).toMatch(fix);
		expect(env.emulator.count('create')).toBe(0);
		expect(readsOf(bad)).toBe(1);
	});

	test('Reverse Extend and Interpolate check their sources too, under their own field names', async () => {
		const slow = env.emulator.seed('Still dreaming', { queuedMs: NEVER }, api);
		const reverse = await generate('reverseExtend', [{ prompt: 'Lead up to it', source: slow }]);
		expect(reverse.error?.message).toBe(`Generation ID to Lead Up To names generation ${slow}, which is still being made (queued) [item 0]`);
		const interpolate = await generate('interpolate', [{ prompt: 'Between', first: done('A'), second: UNKNOWN }]);
		expect(interpolate.error?.message).toBe(`Second Generation ID names generation ${UNKNOWN}, which this account does not have [item 0]`);
		expect(env.emulator.count('create')).toBe(0);
	});

	test('items sharing a completed source: one read of it, then every create', async () => {
		const source = done('A shared beginning');
		const result = await generate('extend', [1, 2, 3].map((n) => ({ prompt: `Take ${n}`, source })));
		expect(result.error).toBeUndefined();
		expect(result.outputs('Generate')[0].map((item) => item.json.mode)).toEqual(['extend', 'extend', 'extend']);
		expect(env.emulator.count('create')).toBe(3);
		expect(readsOf(source)).toBe(1);
	});

	test('under Continue On Fail only the item with a bad source becomes an error item; the others are created', async () => {
		const good = done('Fine');
		const failed = env.emulator.seed('Broken [fail]', { queuedMs: 0, dreamingMs: 0 }, api);
		const result = await generate('extend', [{ prompt: 'One', source: good }, { prompt: 'Two', source: failed }], { onError: 'continueRegularOutput' });
		const [first, second] = result.outputs('Generate')[0];
		expect(first.json.id).toEqual(expect.any(String));
		expect(second.json.error).toBe(`Generation ID to Extend names generation ${failed}, which failed (Contains blacklisted words) [item 1]`);
		expect(env.emulator.count('create')).toBe(1);
	});
});
