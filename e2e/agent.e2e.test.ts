/**
 * The nodes as tools of n8n's AI Agent, in real n8n 2.x: examples/agent-video.json (its chat
 * message given by the test) with the OpenAI Chat Model pointed at a scripted fake model and the
 * Apilaplas credential at the emulator. One execution plays a script of tool calls; the tests
 * read what the model received back. The agent runs at typeVersion 3.1, the one a new agent gets
 * in 2.x (the example keeps 3, which n8n 1.x has too).
 *
 * Not on n8n 1.x: 1.123 has no AI Agent 3.1, and a tool's thrown error (an unknown id, a create
 * over the cap) stops its execution there instead of reaching the model.
 */
import { LumaEmulator } from '../test/emulator/emulator';
import { FakeModel } from './lib/fake-model';
import { loadExample, manualTwin, writeCredentialFile, writeWorkflowFile } from './lib/examples';
import type { ExecutedRun, N8nHome } from './lib/runtime';
import { describeOn, executeWorkflow, importFile, prepareHome } from './lib/runtime';

const KEY = 'e2e-key-agent-5d2a9e';
const UNKNOWN = '11111111-2222-4333-8444-555555555555';
const GENERATE = 'Luma_Generate';
const WAIT = 'Luma_Wait';
/** Short for a test; the example keeps the tool's default (45 s for all the Wait calls of one execution). */
const MAX_WAIT_SECONDS = 6;
const PROMPTS = ['A calm lake at dawn, mist rising', 'A red fox trotting through fresh snow', 'A paper boat in a rainy street'];

let emulator: LumaEmulator;
let model: FakeModel;
let home: N8nHome;
let run: ExecutedRun;
let failedId: string;
let slowId: string;

/** What each of the three Generate calls answered, as the model read it. */
const generateAnswers = () => PROMPTS.map((_, i) => (model.toolAnswer(`gen_${i}`) as Array<Record<string, unknown>>)[0]);

/** The id of the one video the Generate calls created. */
function createdId(): string {
	const created = generateAnswers().find((answer) => typeof answer.id === 'string');
	if (!created) throw new Error(`no Generate answer holds an id: ${JSON.stringify(generateAnswers())}`);
	return created.id as string;
}

describeOn(['2x'], 'AI Agent with Luma Generate and Luma Wait as tools', () => {
	beforeAll(async () => {
		emulator = await new LumaEmulator({ keys: [KEY], holdMs: 2_000, queuedMs: 1_000, dreamingMs: 2_000 }).start();
		model = await new FakeModel().start();
		home = await prepareHome('e2e-agent', process.env.E2E_TARBALL!, 5710);
		const example = loadExample('agent-video.json');
		example.nodes.find((node) => node.name === 'AI Agent')!.typeVersion = 3.1;
		const wait = example.nodes.find((node) => node.name === 'Luma Wait')!;
		wait.parameters = { ...wait.parameters, maxWaitSeconds: MAX_WAIT_SECONDS };
		const chat = [{ json: { sessionId: 'e2e-session', action: 'sendMessage', chatInput: 'Make three short videos: a lake, a fox, a paper boat' } }];
		const twin = manualTwin({ ...example, pinData: { 'Chat message': chat } });
		await importFile(home, 'credentials', writeCredentialFile(KEY, emulator.baseUrl, [model.credential()]));
		await importFile(home, 'workflow', writeWorkflowFile('e2e-agent', [twin]));

		failedId = emulator.seed('A scene the moderation refuses [fail]', { queuedMs: 0, dreamingMs: 0 });
		slowId = emulator.seed('A glacier carving a valley', { queuedMs: 10_000_000 });
		model.play([
			// Three videos in one turn, with the example's cost cap of 1 per execution.
			{ toolCalls: PROMPTS.map((prompt, i) => ({ id: `gen_${i}`, name: GENERATE, args: { prompt } })) },
			() => ({ toolCalls: [{ id: 'wait_done', name: WAIT, args: { generationId: createdId() } }] }),
			{ toolCalls: [{ id: 'wait_failed', name: WAIT, args: { generationId: failedId } }] },
			{ toolCalls: [{ id: 'wait_slow', name: WAIT, args: { generationId: slowId } }] },
			{ toolCalls: [{ id: 'wait_unknown', name: WAIT, args: { generationId: UNKNOWN } }] },
			{ text: 'Here is your lake video.' },
		]);
		run = await executeWorkflow(home, twin.id);
	});

	afterAll(async () => {
		await model?.stop();
		await emulator?.stop();
	});

	test('the agent ran the whole script and answered', () => {
		expect(run.data.resultData.error).toBeUndefined();
		expect(model.requests).toHaveLength(6);
		const agent = run.data.resultData.runData['AI Agent'];
		expect(agent.at(-1)?.data?.main[0]?.[0]?.json.output).toBe('Here is your lake video.');
	});

	test('the model is offered Luma Wait with a generationId parameter and a description written for it', () => {
		const tool = model.requests[0].tools.find((offered) => offered.name === WAIT);
		expect(tool?.parameters.properties?.generationId).toEqual({
			type: 'string',
			description: 'The generation id that Luma Generate returned for the video (a UUID)',
		});
		expect(tool?.parameters.required).toEqual(['generationId']);
		expect(tool?.description).toMatch(/^Waits for a Luma Dream Machine video\. Give it the generation id that Luma Generate returned\./);
		expect(tool?.description).not.toMatch(/branch/i);
	});

	test('the model is offered Luma Generate with a prompt parameter and a description that states the cost', () => {
		const tool = model.requests[0].tools.find((offered) => offered.name === GENERATE);
		expect(tool?.parameters.properties?.prompt).toEqual({ type: 'string', description: expect.any(String) });
		expect(tool?.description).toMatch(/500,000 tokens/);
		expect(tool?.description).toMatch(/Luma Wait/);
	});

	test('completed: the model receives the video URL', () => {
		const id = createdId();
		expect(model.toolAnswer('wait_done')).toEqual([
			{
				id,
				state: 'completed',
				videoUrl: `${emulator.baseUrl}/assets/${id}.mp4`,
				thumbnailUrl: `${emulator.baseUrl}/assets/${id}.jpg`,
			},
		]);
	});

	test('failed: the model receives the failure reason', () => {
		expect(model.toolAnswer('wait_failed')).toEqual([{ id: failedId, state: 'failed', failureReason: 'Contains blacklisted words' }]);
	});

	test('timed out: the model receives the last state, the time waited and the advice to call again later', () => {
		const [answer] = model.toolAnswer('wait_slow') as Array<Record<string, unknown>>;
		expect(answer).toEqual({ id: slowId, state: 'queued', timedOut: true, waitedSeconds: expect.any(Number), advice: expect.stringMatching(/call this tool again/i) });
		// Max Wait is shared by the Wait calls of one execution: this third call of the turn waits
		// at most what the first two left of it.
		expect(answer.waitedSeconds).toBeLessThanOrEqual(MAX_WAIT_SECONDS);
	});

	test('an unknown id: the model receives a clear error naming the HTTP 404', () => {
		expect(model.toolAnswer('wait_unknown')).toEqual([
			{ error: expect.stringContaining(`Fetching generation ${UNKNOWN} failed with HTTP 404: Generation ${UNKNOWN} not found`) },
		]);
	});

	test('three Generate calls in one execution with a cap of 1: one create reaches the server, the others come back as errors', () => {
		expect(emulator.count('create')).toBe(1);
		expect(emulator.acceptedCreates).toBe(1);
		const answers = generateAnswers();
		expect(answers.filter((answer) => typeof answer.id === 'string')).toHaveLength(1);
		expect(answers.filter((answer) => answer.error !== undefined)).toEqual([
			{ error: expect.stringContaining('Max Creates per Execution is 1') },
			{ error: expect.stringContaining('Max Creates per Execution is 1') },
		]);
	});

	test('the Apilaplas key never reaches the model', () => {
		expect(JSON.stringify(model.requests)).not.toContain(KEY);
	});
});
