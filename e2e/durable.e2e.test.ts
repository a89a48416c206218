/**
 * Durability in real n8n, 2.x and 1.x (regular mode, SQLite, `n8n start`): the durable-wait example,
 * triggered through its production webhook, while n8n is killed with SIGKILL and started again on
 * the same user folder. One kill catches three executions at three moments:
 * - P is parked (status waiting, in the example's Wait node);
 * - W is inside Luma Wait's in-memory window;
 * - G is inside Luma Generate, between two paced creates.
 * The emulator runs in this process, so it counts every create across the restart.
 */
import { LumaEmulator } from '../test/emulator/emulator';
import {
	activate,
	createsInLog,
	executionReaching,
	itemsOut,
	killHard,
	postWebhook,
	retryExecution,
	variant,
	withFileLog,
} from './lib/durable';
import { loadExample, writeCredentialFile, writeWorkflowFile } from './lib/examples';
import type { N8nHome, N8nRest, RunningN8n } from './lib/runtime';
import { importFile, prepareHome, startLoggedIn, step, waitUntil } from './lib/runtime';

const KEY = 'e2e-durable-key-7c2d';
const PARK_SECONDS = 66; // n8n parks a Wait of 65 s or more; shorter ones sleep in memory
const example = loadExample('durable-wait.json');
const parked = variant(example, 'DurableParked001', 'durable-parked', {
	'Luma Wait': { maxWaitSeconds: 3 },
	'Park 2 minutes': { amount: PARK_SECONDS, unit: 'seconds' },
});
const inWindow = variant(example, 'DurableWindow001', 'durable-window', { 'Luma Wait': { maxWaitSeconds: 120 } });
const inGenerate = variant(example, 'DurableCreate001', 'durable-create', {
	'Luma Generate': { options: { maxCreatesPerRun: 10, createsPerMinute: 6 } },
});
const pastDeadline = variant(example, 'DurableGaveUp001', 'durable-gave-up', {
	'Give up after 2 hours': {
		assignments: { assignments: [{ id: 'a1d2e3f4-0000-4000-8000-000000000001', name: 'giveUpAt', value: '={{ $now.toISO() }}', type: 'string' }] },
	},
	'Luma Wait': { maxWaitSeconds: 2 },
});
// On the emulator, [slow] keeps a generation running until the test finishes it.
const PROMPTS = {
	parked: ['Parked: a lighthouse in a storm', 'Parked: a lantern over a lake'],
	inWindow: ['Window: a fox in the snow [slow]', 'Window: a train at night [slow]'],
	inGenerate: ['Generate: a red kite [slow]', 'Generate: a green field [slow]', 'Generate: a blue door [slow]'],
	pastDeadline: ['Deadline: a glacier, very slowly [slow]'],
};

let emulator: LumaEmulator;
let home: N8nHome;
let n8n: RunningN8n;
let rest: N8nRest;
let killedAt = 0;

function idsOf(prompts: string[]): string[] {
	return [...emulator.generations.values()].filter((g) => prompts.includes(g.request.prompt)).sort((a, b) => a.createdAt - b.createdAt).map((g) => g.id);
}

/** Create requests for these prompts since `at`. */
function createsSince(at: number, prompts: string[]): number {
	return emulator.count('create', (entry) => entry.at >= at && prompts.includes((entry.body as { prompt: string }).prompt));
}

beforeAll(async () => {
	emulator = await new LumaEmulator({ keys: [KEY], holdMs: 2_000, queuedMs: 1_000, dreamingMs: 15_000 }).start();
	home = withFileLog(await prepareHome('e2e-durable', process.env.E2E_TARBALL!, 5720));
	await importFile(home, 'credentials', writeCredentialFile(KEY, emulator.baseUrl));
	await importFile(home, 'workflow', writeWorkflowFile('e2e-durable', [parked, inWindow, inGenerate, pastDeadline]));
	({ n8n, rest } = await startLoggedIn(home));
	for (const workflow of [parked, inWindow, inGenerate, pastDeadline]) await activate(rest, workflow.id);

	// P: a 3 s window, then parked; its generations (16 s) end during the park.
	await postWebhook(home, 'durable-parked', { prompts: PROMPTS.parked });
	await executionReaching(rest, parked.id, ['waiting'], 60_000);
	step('P is parked');
	// W: inside Luma Wait's window once the emulator is asked about its generations.
	await postWebhook(home, 'durable-window', { prompts: PROMPTS.inWindow });
	await waitUntil('Luma Wait asks about W', () => {
		const ids = idsOf(PROMPTS.inWindow);
		return ids.length === 2 && emulator.log.some((entry) => entry.endpoint.startsWith('fetch') && ids.every((id) => entry.url.includes(id)));
	});
	step('W is in Luma Wait');
	// G: 6 creates a minute, so the third waits 10 s: kill after two.
	await postWebhook(home, 'durable-create', { prompts: PROMPTS.inGenerate });
	await waitUntil('two of G are created', () => idsOf(PROMPTS.inGenerate).length === 2);
	// n8n writes the "created generation" line after the create's answer: kill once both are in its log.
	await waitUntil(
		'n8n has logged both creates of G',
		() => {
			const logged = createsInLog(home).map((line) => line.id);
			return idsOf(PROMPTS.inGenerate).every((id) => logged.includes(id));
		},
		60_000,
	);
	killedAt = Date.now();
	await killHard(n8n);
	({ n8n, rest } = await startLoggedIn(home));
});

afterAll(async () => {
	await n8n?.stop();
	await emulator?.stop();
});

test('killed inside Luma Wait\'s window: the execution is crashed, keeps the ids, and one Retry finishes it without a create', async () => {
	const crashed = await executionReaching(rest, inWindow.id, ['crashed']);
	const ids = idsOf(PROMPTS.inWindow);
	expect(itemsOut(crashed, 'Luma Generate').map((item) => item.json.id)).toEqual(ids);

	for (const id of ids) emulator.finish(id);
	const finished = await retryExecution(rest, crashed.id, false);
	expect(finished.status).toBe('success');
	expect(itemsOut(finished, 'Finished videos').map((item) => [item.json.id, item.json.state])).toEqual(ids.map((id) => [id, 'completed']));
	expect(idsOf(PROMPTS.inWindow)).toHaveLength(2);
	expect(createsSince(killedAt, PROMPTS.inWindow)).toBe(0);
});

test('killed inside Luma Generate: what was paid for is in n8n\'s log, by item, though n8n kept nothing of the node', async () => {
	const crashed = await executionReaching(rest, inGenerate.id, ['crashed']);
	const billed = idsOf(PROMPTS.inGenerate);
	expect(billed).toHaveLength(2);
	// n8n saves a node's output only when it finishes: the crashed run has no item of Luma Generate.
	expect(itemsOut(crashed, 'Luma Generate')).toEqual([]);
	const logged = createsInLog(home).filter((line) => line.executionId === crashed.id);
	expect(logged.map(({ id, item, node, run }) => ({ id, item, node, run }))).toEqual(
		billed.map((id, item) => ({ id, item, node: 'Luma Generate', run: 0 })),
	);
});

test('past the deadline, an item still running leaves on "Gave up" with its id, and nothing parks', async () => {
	await postWebhook(home, 'durable-gave-up', { prompts: PROMPTS.pastDeadline });
	const done = await executionReaching(rest, pastDeadline.id, ['success', 'error', 'crashed']);
	expect(done.status).toBe('success');
	expect(itemsOut(done, 'Gave up (ids kept)').map((item) => [item.json.prompt, item.json.id, item.json.timedOut])).toEqual([
		[PROMPTS.pastDeadline[0], idsOf(PROMPTS.pastDeadline)[0], true],
	]);
	expect(done.runData['Park 2 minutes']).toBeUndefined();
});

test('killed while parked: after the restart it resumes by itself and every item ends on Completed, with no new create', async () => {
	const done = await executionReaching(rest, parked.id, ['success', 'error', 'crashed'], (PARK_SECONDS + 60) * 1000);
	expect(done.status).toBe('success');
	const ids = idsOf(PROMPTS.parked);
	// Luma Wait ran twice: its first window timed out, the run after the park found both finished.
	expect(done.runData['Luma Wait']).toHaveLength(2);
	expect(itemsOut(done, 'Luma Wait', 2).map((item) => item.json.id)).toEqual(ids);
	expect(itemsOut(done, 'Finished videos').map((item) => [item.json.id, item.json.state])).toEqual(ids.map((id) => [id, 'completed']));
	expect(ids).toHaveLength(2);
	expect(createsSince(killedAt, PROMPTS.parked)).toBe(0);
});
