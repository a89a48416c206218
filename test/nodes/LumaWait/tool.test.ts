/**
 * Luma Wait run as an AI Agent's tool (n8n's `…lumaWaitTool` type) in n8n's real engine against
 * the emulator: every outcome reaches the one output an agent reads, in a form a model can act on.
 */
import type { INode } from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';

import { TOOL_MAX_WAIT_SECONDS } from '../../../nodes/LumaWait/tool';
import { chain, items, node, nodeTypes, runWorkflow, TRIGGER_TYPE, WAIT_TOOL_TYPE, WAIT_TYPE } from '../../helpers/engine';
import { useEmulator } from '../../helpers/emulator';
import { withClockJump } from '../../helpers/events';
import { timing } from '../../../nodes/shared/timing';

const env = useEmulator();
const UNKNOWN = '11111111-2222-4333-8444-555555555555';
/** Longer than any test runs (ms), and than the clock jumps ahead. */
const NEVER = 10_000_000;
/** The largest Max Wait: a call given it ends only on its outcome, never on a slow machine's clock. */
const NO_LIMIT = { maxWaitSeconds: 21_600 };
const asked = () => env.emulator.log.filter((entry) => entry.endpoint === 'fetchOne' || entry.endpoint === 'fetchMany');

/**
 * One tool call: n8n's agent hands the tool one item holding the agent's own input, the
 * model's arguments and the call's id.
 */
function callTool(args: Record<string, unknown>, parameters: INode['parameters'] = {}, nodeExtra: Partial<INode> = {}) {
	return runWorkflow({
		nodes: [node('Trigger', TRIGGER_TYPE), { ...node('Wait', WAIT_TOOL_TYPE, parameters), ...nodeExtra }],
		connections: chain('Trigger', 'Wait'),
		items: items({ chatInput: 'Make me a video', sessionId: 's1', toolCallId: 'call_1', ...args }),
		credentials: env.credentials,
	});
}

/** What the agent reads: the first output, and nothing may be left on any other. */
function modelSees(result: Awaited<ReturnType<typeof callTool>>) {
	const outputs = result.outputs('Wait');
	expect(outputs.slice(1).flat()).toEqual([]);
	return outputs[0].map((item) => item.json);
}

describe('every outcome reaches the model on the first output, compact', () => {
	test('completed: id, state, video and thumbnail URL, nothing of the raw answer or the input', async () => {
		const id = env.emulator.seed('a calm lake');
		const result = await callTool({ generationId: id }, NO_LIMIT);
		expect(modelSees(result)).toEqual([
			{
				id,
				state: 'completed',
				videoUrl: `${env.emulator.baseUrl}/assets/${id}.mp4`,
				thumbnailUrl: `${env.emulator.baseUrl}/assets/${id}.jpg`,
			},
		]);
	});

	test('failed: the reason, not an empty answer', async () => {
		const id = env.emulator.seed('a banned thing [fail]');
		const result = await callTool({ generationId: id }, NO_LIMIT);
		expect(modelSees(result)).toEqual([{ id, state: 'failed', failureReason: 'Contains blacklisted words' }]);
	});

	test('timed out: the last state, how long it waited, and that calling again is the way on', async () => {
		const id = env.emulator.seed('glacial', { queuedMs: NEVER });
		// Max Wait in real seconds: only the clock's jump, once the call has had an answer (it asks
		// again only after one), can end it.
		timing.secondMs = 1_000;
		const result = await withClockJump(() => asked().length >= 2, 50_000, () => callTool({ generationId: id }, { maxWaitSeconds: 50 }));
		const [answer] = modelSees(result);
		expect(answer).toEqual({ id, state: 'queued', timedOut: true, waitedSeconds: expect.any(Number), advice: expect.any(String) });
		expect(answer.waitedSeconds).toBeGreaterThanOrEqual(50);
		expect(answer.advice).toMatch(/call this tool again with the same generation id/i);
		expect(answer.advice).toMatch(/never generate it again/i);
	});

	test('the generation id is the model\'s argument, not an "id" the agent\'s input happens to carry', async () => {
		const wanted = env.emulator.seed('wanted');
		const other = env.emulator.seed('other [fail]');
		const result = await callTool({ id: other, generationId: wanted }, NO_LIMIT);
		expect(modelSees(result).map((answer) => [answer.id, answer.state])).toEqual([[wanted, 'completed']]);
	});
});

describe('errors stay errors', () => {
	test('an id the server does not know stops the call with the HTTP 404 in the message', async () => {
		const result = await callTool({ generationId: UNKNOWN });
		expect(result.error?.message).toBe(`Fetching generation ${UNKNOWN} failed with HTTP 404: Generation ${UNKNOWN} not found`);
	});

	test('with Continue On Fail the error comes back to the model as an answer on the first output', async () => {
		const result = await callTool({ generationId: UNKNOWN }, {}, { onError: 'continueRegularOutput' });
		expect(modelSees(result)).toEqual([
			{ id: UNKNOWN, error: `Fetching generation ${UNKNOWN} failed with HTTP 404: Generation ${UNKNOWN} not found` },
		]);
	});

	test('a call without a generation id says so and asks nothing of the server', async () => {
		const result = await callTool({});
		expect(result.error?.message).toBe('Generation ID is empty [item 0]');
		expect(env.emulator.log).toHaveLength(0);
	});
});

describe('tool-mode parameters', () => {
	test(`Max Wait defaults to ${TOOL_MAX_WAIT_SECONDS} s, one agent turn (600 s as an ordinary node)`, async () => {
		expect(defaults(WAIT_TOOL_TYPE).maxWaitSeconds).toBe(TOOL_MAX_WAIT_SECONDS);
		expect(defaults(WAIT_TYPE).maxWaitSeconds).toBe(600);
		// A call left at the default, while the server holds its first fetch, sees the clock move
		// 300 s ahead: past one turn, short of 600 s. It stops asking there and comes back timed out.
		// (Max Wait in real seconds here: only the jump can end it.)
		timing.secondMs = 1_000;
		const id = env.emulator.seed('slower than a turn', { queuedMs: NEVER });
		let askedAtJump = -1;
		const result = await withClockJump(
			() => env.emulator.holding === 1,
			300_000,
			() => callTool({ generationId: id }),
			() => (askedAtJump = asked().length),
		);
		const [answer] = modelSees(result);
		expect(answer.timedOut).toBe(true);
		expect(answer.waitedSeconds).toBeGreaterThanOrEqual(300);
		expect(askedAtJump).toBeGreaterThanOrEqual(1);
		expect(asked()).toHaveLength(askedAtJump);
	});

	test('the Generation ID defaults to a parameter the model fills, described for it; the ordinary node keeps {{ $json.id }}', () => {
		expect(defaults(WAIT_TOOL_TYPE).generationId).toBe(
			"={{ $fromAI('generationId', 'The generation id that Luma Generate returned for the video (a UUID)', 'string') }}",
		);
		expect(defaults(WAIT_TYPE).generationId).toBe('={{ $json.id }}');
	});

	test('the tool description speaks to a model: the id from Luma Generate in, state and video URL out; no branching', () => {
		const description = String(defaults(WAIT_TOOL_TYPE).toolDescription);
		expect(description).toMatch(/generation id that Luma Generate returned/);
		expect(description).toMatch(/videoUrl/);
		expect(description).toMatch(/failureReason/);
		expect(description).not.toMatch(/branch|output/i);
		expect(defaults(WAIT_TYPE).toolDescription).toBeUndefined();
	});

	test('Download Video is not offered to a tool (a model cannot read binary data): nothing is downloaded', async () => {
		const id = env.emulator.seed('no download');
		const result = await callTool({ generationId: id }, { ...NO_LIMIT, downloadVideo: true });
		expect(result.outputs('Wait')[0][0].binary).toBeUndefined();
		expect(env.emulator.count('asset')).toBe(0);
	});
});

/** The parameters n8n gives a new node of this type (what the editor and the engine fill in). */
function defaults(type: string): Record<string, unknown> {
	const description = nodeTypes.getByNameAndVersion(type, 1).description;
	const probe = { ...node('Probe', type), parameters: {} };
	return NodeHelpers.getNodeParameters(description.properties, {}, true, false, probe, description) ?? {};
}
