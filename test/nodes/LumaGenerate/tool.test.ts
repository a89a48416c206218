/** Luma Generate as an AI Agent tool: what the model reads back, and the cap over every call. */
import { GENERATE_TOOL_TYPE, runLoop } from '../../helpers/engine';
import { LumaGenerate } from '../../../nodes/LumaGenerate/LumaGenerate.node';
import { useEmulator } from '../../helpers/emulator';

const env = useEmulator();

/** Each tool call is a new run of the node in the same execution: a loop of `calls` runs. */
function toolCalls(calls: number, maxCreatesPerRun: number) {
	const parameters = { prompt: 'A paper boat on a rainy street', options: { maxCreatesPerRun } };
	return runLoop(GENERATE_TOOL_TYPE, parameters, calls, { query: 'make me a video of a paper boat' }, env.credentials);
}

test('the model reads a compact answer: the id to wait for, and why not to call again', async () => {
	const result = await toolCalls(1, 5);
	const [item] = result.outputs('Generate')[0];
	const [id] = env.emulator.generations.keys();
	expect(item.json).toEqual({
		id,
		state: 'queued',
		tokenCost: 500000,
		tokenCostIsListPrice: true,
		next: expect.stringMatching(/Pass this id to the Luma Wait tool.*Do not call Luma Generate again for this request/),
	});
});

test('three calls in one execution with Max Creates per Execution 1: one create, the others refused unsent', async () => {
	const result = await toolCalls(3, 1);
	expect(env.emulator.count('create')).toBe(1);
	expect(result.error?.message).toBe(
		'This run would create 1 more generation (500,000 tokens), but this node already sent 1 create in this execution and Max Creates per Execution is 1',
	);
});

test.each([1, 2])('version %s: in the tool variant the model fills the prompt (a $fromAI default with a description); on the canvas it is empty', (version) => {
	const prompts = new LumaGenerate().getNodeType(version).description.properties.filter((property) => property.name === 'prompt');
	const forTool = prompts.find((property) => property.displayOptions?.show?.['@tool']);
	const onCanvas = prompts.find((property) => property.displayOptions?.hide?.['@tool']);
	expect(forTool?.default).toMatch(/^=\{\{ \$fromAI\('prompt', 'What the video shows[^']+', 'string'\) \}\}$/);
	expect(onCanvas?.default).toBe('');
});
