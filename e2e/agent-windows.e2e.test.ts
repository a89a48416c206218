/**
 * The tools inside the time windows of the clients that call them, in real n8n: a chat client
 * gives up after about 90 s (n8n-io/n8n #27872), an MCP client after 60 s. Luma Wait as a tool
 * waits at most Max Wait (its tool default, 45 s) per execution, all its calls in that execution
 * together; behind the MCP Server Trigger each call waits at most Max Wait. A video still running
 * comes back timed out with its id, and asking again never creates it again.
 *
 * - Chat Trigger (public, answered by the last node, as its hosted chat page sends messages) → the
 *   agent example (AI Agent, OpenAI Chat Model pointed at the scripted fake model, Simple Memory,
 *   both tools at their tool defaults) against a generation of 150 s on the real clock: the model
 *   starts it, waits, and after a timed-out answer calls Luma Wait once more in the same turn (as
 *   a model may, whatever the advice says), then answers; the user asks again until the video is
 *   done. Every answer is measured under 90 s; one create in all.
 * - MCP Server Trigger (Streamable HTTP, the SDK's client with its 60 s timeout) with both tools,
 *   a generation of 90 s: both tools listed, Generate answers at once, the first Wait before 60 s
 *   (timed out, with the id), a later Wait the finished video; one create. In regular mode (the
 *   call runs outside any execution) and in queue mode (main + one worker: n8n 2.x runs each tool
 *   call on the worker as an execution, 1.x runs it in main).
 * - Call n8n Workflow Tool: an agent whose tool is a sub-workflow Execute Workflow Trigger →
 *   Luma Generate → Luma Wait with Single Output: the model receives each outcome (completed,
 *   failed, timed out), where with three outputs only the first would reach it.
 *
 * Times are measured by the callers (the chat POST, the MCP client), not assumed: the generation
 * timelines are the real ones because the tool's budget is in real seconds inside n8n.
 */
import { randomUUID } from 'node:crypto';

import { LumaEmulator } from '../test/emulator/emulator';
import type { TimedToolCall } from './lib/chat';
import { chatListening, sendChatMessage, VideoChatModel } from './lib/chat';
import { activate } from './lib/durable';
import type { Workflow, WorkflowNode } from './lib/examples';
import { CREDENTIAL_ID, CREDENTIAL_NAME, loadExample, writeCredentialFile, writeWorkflowFile } from './lib/examples';
import { FakeModel } from './lib/fake-model';
import type { TimedCall } from './lib/mcp';
import { MCP_CLIENT_TIMEOUT_MS, mcpListening, McpSession } from './lib/mcp';
import type { QueuePorts } from './lib/queue';
import { finishedExecutions, queueHome, startPostgres, startRedis, startWorker } from './lib/queue';
import type { N8nHome, N8nRest, RunningN8n } from './lib/runtime';
import { describeOn, importFile, N8N_LINE, n8nVersion, prepareHome, startLoggedIn, step } from './lib/runtime';

const KEY = 'e2e-key-agent-windows-7c41';
/** What a chat client waits for an answer (the hosted chat gives up after about 90 s). */
const CHAT_CLIENT_WINDOW_MS = 90_000;
/** Luma Wait's Max Wait as a tool, by default. */
const TOOL_MAX_WAIT_SECONDS = 45;
/** Real-clock generations: 150 s for the chat, 90 s for the MCP client. */
const CHAT_TIMELINE = { queuedMs: 20_000, dreamingMs: 130_000 };
const MCP_TIMELINE = { queuedMs: 10_000, dreamingMs: 80_000 };
/** For the workflow tool: 3 s (a `[slow]` prompt takes 1000 times as long). */
const SHORT_TIMELINE = { queuedMs: 1_000, dreamingMs: 2_000 };
const SUB_WORKFLOW_MAX_WAIT_SECONDS = 10;

const REGULAR_PORT = 5800;
const QUEUE_MAIN_PORT = 5803;
const QUEUE_WORKER_PORT = 5806;
const QUEUE_PORTS: QueuePorts = { postgres: 5811, redis: 5812, workerHealth: 5808 };

const CHAT_WEBHOOK = '6a0f3c52-7d1e-4b8a-9f21-0c4d5e6f7a81';
const TOOL_CHAT_WEBHOOK = '6a0f3c52-7d1e-4b8a-9f21-0c4d5e6f7a82';
const MCP_PATH = 'luma-mcp';
const SUB_WORKFLOW_ID = 'LumaWinSubVideo1';

const CHAT_PROMPT = 'A hot air balloon drifting over a canyon at sunrise';
const MCP_PROMPTS = { regular: 'A hummingbird hovering at a red flower', queue: 'A steam train crossing a stone bridge' };
const TOOL_PROMPTS = { ok: 'A lighthouse in a storm, waves crashing', fail: 'A scene the moderation refuses [fail]', slow: 'A glacier carving a valley [slow]' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The AI Agent a new agent gets on the line (1.123 has no 3.1). */
const AGENT_VERSION = N8N_LINE === '2x' ? 3.1 : 3;
const CREDENTIALS = { apilaplasApi: { id: CREDENTIAL_ID, name: CREDENTIAL_NAME } };

let emulator: LumaEmulator;
let model: FakeModel;

beforeAll(async () => {
	emulator = await new LumaEmulator({ keys: [KEY], holdMs: 30_000, ...SHORT_TIMELINE }).start();
	model = await new FakeModel().start();
});

afterAll(async () => {
	await model?.stop();
	await emulator?.stop();
});

function node(name: string, type: string, typeVersion: number, position: [number, number], parameters: Record<string, unknown>, extra: Record<string, unknown> = {}): WorkflowNode {
	return { id: randomUUID(), name, type, typeVersion, position, parameters, ...extra };
}

/** The agent example with its Chat Trigger public and answering with the last node (the agent's reply). */
function chatWorkflow(): Workflow {
	const example = loadExample('agent-video.json');
	for (const each of example.nodes) {
		if (each.type === '@n8n/n8n-nodes-langchain.chatTrigger') {
			each.parameters = { public: true, options: { responseMode: 'lastNode' } };
			each.webhookId = CHAT_WEBHOOK;
		}
		if (each.type === '@n8n/n8n-nodes-langchain.agent') each.typeVersion = AGENT_VERSION;
	}
	return { ...example, id: 'LumaWinChatAgent', name: 'Luma windows: chat agent', active: false };
}

/** MCP Server Trigger (version 2: Streamable HTTP and SSE on one path) with the example's two tools at their tool defaults. */
function mcpWorkflow(id: string): Workflow {
	const example = loadExample('agent-video.json');
	const tools = example.nodes
		.filter((each) => each.type.startsWith('n8n-nodes-apilaplas-luma.'))
		.map((each) => ({ ...each, id: randomUUID(), parameters: {} }));
	const trigger = node('MCP Server Trigger', '@n8n/n8n-nodes-langchain.mcpTrigger', 2, [0, 0], { path: MCP_PATH }, { webhookId: randomUUID() });
	const connections: Workflow['connections'] = {};
	for (const tool of tools) {
		(connections as Record<string, unknown>)[tool.name] = { ai_tool: [[{ node: trigger.name, type: 'ai_tool', index: 0 }]] };
	}
	return { id, name: `Luma windows: MCP server (${id})`, nodes: [trigger, ...tools], connections, settings: { executionOrder: 'v1' }, pinData: {}, active: false };
}

/** Execute Workflow Trigger (a `prompt`) → Luma Generate → Luma Wait with Single Output. */
function subWorkflow(): Workflow {
	return {
		id: SUB_WORKFLOW_ID,
		name: 'Luma windows: make one video (sub-workflow)',
		nodes: [
			node('Video prompt', 'n8n-nodes-base.executeWorkflowTrigger', 1.1, [0, 0], { inputSource: 'workflowInputs', workflowInputs: { values: [{ name: 'prompt', type: 'string' }] } }),
			node('Luma Generate', 'n8n-nodes-apilaplas-luma.lumaGenerate', 2, [220, 0], { prompt: '={{ $json.prompt }}', options: {} }, { credentials: CREDENTIALS }),
			node('Luma Wait', 'n8n-nodes-apilaplas-luma.lumaWait', 1, [440, 0], { maxWaitSeconds: SUB_WORKFLOW_MAX_WAIT_SECONDS, outputs: 'single' }, { credentials: CREDENTIALS }),
		],
		connections: {
			'Video prompt': { main: [[{ node: 'Luma Generate', type: 'main', index: 0 }]] },
			'Luma Generate': { main: [[{ node: 'Luma Wait', type: 'main', index: 0 }]] },
		},
		settings: { executionOrder: 'v1', callerPolicy: 'any' },
		pinData: {},
		active: false,
	};
}

/** Chat Trigger → AI Agent (fake model) whose one tool is the sub-workflow, through Call n8n Workflow Tool. */
function workflowToolAgent(): Workflow {
	const example = loadExample('agent-video.json');
	const model = example.nodes.find((each) => each.type === '@n8n/n8n-nodes-langchain.lmChatOpenAi')!;
	const trigger = node('Chat message', '@n8n/n8n-nodes-langchain.chatTrigger', 1.4, [0, 0], { public: true, options: { responseMode: 'lastNode' } }, { webhookId: TOOL_CHAT_WEBHOOK });
	const agent = node('AI Agent', '@n8n/n8n-nodes-langchain.agent', AGENT_VERSION, [260, 0], {
		options: { systemMessage: 'For each video the user asks for, call Make_video once with its prompt; report each outcome.' },
	});
	const tool = node('Make video', '@n8n/n8n-nodes-langchain.toolWorkflow', 2.2, [460, 240], {
		description: 'Makes one short video from a prompt and returns its outcome: status completed (videoUrl), failed (failureReason) or timedOut (id).',
		source: 'database',
		workflowId: { __rl: true, value: SUB_WORKFLOW_ID, mode: 'id' },
		workflowInputs: {
			mappingMode: 'defineBelow',
			value: { prompt: "={{ $fromAI('prompt', 'The prompt of the video', 'string') }}" },
			matchingColumns: [],
			schema: [{ id: 'prompt', displayName: 'prompt', required: false, defaultMatch: false, display: true, canBeUsedToMatch: true, type: 'string', removed: false }],
			attemptToConvertTypes: false,
			convertFieldsToString: false,
		},
	});
	return {
		id: 'LumaWinToolAgent',
		name: 'Luma windows: agent with a workflow tool',
		nodes: [trigger, agent, { ...model, id: randomUUID(), position: [140, 240] }, tool],
		connections: {
			'Chat message': { main: [[{ node: agent.name, type: 'main', index: 0 }]] },
			[model.name]: { ai_languageModel: [[{ node: agent.name, type: 'ai_languageModel', index: 0 }]] },
			[tool.name]: { ai_tool: [[{ node: agent.name, type: 'ai_tool', index: 0 }]] },
		} as unknown as Workflow['connections'],
		settings: { executionOrder: 'v1' },
		pinData: {},
		active: false,
	};
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Luma Generate's info line for the create of `id` in a process's output (it says where the run was). */
function createLogLine(output: string, id: string): string | undefined {
	return output.split('\n').find((line) => line.includes(`Luma Generate: created generation ${id}`))?.trim();
}

/** A tool call's duration as the model saw it: from its reply to the request carrying the answer. */
const callMs = (call: TimedToolCall) => (call.answeredAt ?? Date.now()) - call.sentAt;

/**
 * The MCP case: list the tools, start a 90 s video, wait for it call after call. Every call is
 * made with the client's 60 s timeout (a longer one fails the test with its time).
 */
async function mcpVideo(url: string, prompt: string): Promise<{ generate: TimedCall; waits: TimedCall[]; id: string; toolNames: string[] }> {
	emulator.configure(MCP_TIMELINE);
	const session = await McpSession.connect(url);
	try {
		const tools = await session.listTools();
		const toolNames = tools.map((tool) => tool.name).sort();
		step(`MCP: session ${session.sessionId ?? '(none)'}, tools ${toolNames.join(', ')}`);
		const wait = tools.find((tool) => tool.name === 'Luma_Wait');
		expect(wait?.inputSchema.properties?.generationId).toEqual(expect.objectContaining({ type: 'string' }));
		const generate = await session.callTool('Luma_Generate', { prompt });
		step(`MCP: Luma_Generate answered in ${seconds(generate.ms)}: ${generate.text.slice(0, 300)}`);
		const id = String(generate.answer.id);
		const waits: TimedCall[] = [];
		while (waits.length < 6) {
			const answer = await session.callTool('Luma_Wait', { generationId: id });
			waits.push(answer);
			step(`MCP: Luma_Wait #${waits.length} answered in ${seconds(answer.ms)}: ${answer.text.slice(0, 300)}`);
			if (answer.answer.timedOut !== true) break;
		}
		return { generate, waits, id, toolNames };
	} finally {
		await session.close();
	}
}

function expectMcpVideo(result: Awaited<ReturnType<typeof mcpVideo>>, prompt: string): void {
	const { generate, waits, id, toolNames } = result;
	expect(toolNames).toEqual(expect.arrayContaining(['Luma_Generate', 'Luma_Wait']));
	// Luma Generate answers with the id at once (well inside the client's window).
	expect(generate.isError).toBe(false);
	expect(id).toMatch(UUID);
	expect(generate.answer.state).toBe('queued');
	expect(generate.ms).toBeLessThan(MCP_CLIENT_TIMEOUT_MS / 2);
	// The first wait answers inside the client's 60 s: still running, with the id and the advice.
	expect(waits[0].answer).toEqual(expect.objectContaining({ id, timedOut: true, advice: expect.stringMatching(/call this tool again/i) }));
	expect(waits[0].ms).toBeLessThan(MCP_CLIENT_TIMEOUT_MS);
	// It waited up to its Max Wait, not past it.
	expect(Number(waits[0].answer.waitedSeconds)).toBeLessThanOrEqual(TOOL_MAX_WAIT_SECONDS + 1);
	// A later call gets the finished video; every call inside the window.
	const last = waits.at(-1)!;
	expect(last.answer).toEqual({ id, state: 'completed', videoUrl: `${emulator.baseUrl}/assets/${id}.mp4`, thumbnailUrl: `${emulator.baseUrl}/assets/${id}.jpg` });
	for (const call of waits) expect(call.ms).toBeLessThan(MCP_CLIENT_TIMEOUT_MS);
	// Asking again never creates again.
	expect(emulator.createsByPrompt.get(prompt)).toBe(1);
}

describeOn(['2x', '1x'], `n8n ${n8nVersion()}, regular mode: the tools inside their callers' windows`, () => {
	let home: N8nHome;
	let n8n: RunningN8n;
	let rest: N8nRest;

	beforeAll(async () => {
		home = await prepareHome('e2e-agent-windows', process.env.E2E_TARBALL!, REGULAR_PORT);
		home = { ...home, env: { ...home.env, N8N_LOG_LEVEL: 'info' } };
		await importFile(home, 'credentials', writeCredentialFile(KEY, emulator.baseUrl, [model.credential()]));
		await importFile(home, 'workflow', writeWorkflowFile('e2e-agent-windows', [chatWorkflow(), mcpWorkflow('LumaWinMcpServer'), subWorkflow(), workflowToolAgent()]));
		({ n8n, rest } = await startLoggedIn(home, 4_000_000));
		for (const id of ['LumaWinChatAgent', 'LumaWinMcpServer', 'LumaWinToolAgent']) await activate(rest, id);
		// n8n 2.x runs a sub-workflow's published version; 1.x cannot publish a workflow started only by another.
		await activate(rest, SUB_WORKFLOW_ID).catch((error: unknown) => step(`sub-workflow not published: ${(error as Error).message.slice(0, 200)}`));
		await chatListening(n8n.url, CHAT_WEBHOOK);
		await chatListening(n8n.url, TOOL_CHAT_WEBHOOK);
		await mcpListening(`${n8n.url}/mcp/${MCP_PATH}`);
	});

	afterAll(async () => {
		await n8n?.stop();
	});

	test('Chat Trigger, a 150 s video: every answer inside the chat client\'s 90 s, asked again until it is done, one create', async () => {
		emulator.configure(CHAT_TIMELINE);
		const policy = new VideoChatModel(CHAT_PROMPT);
		model.play(Array.from({ length: 100 }, () => policy.turn));
		const sessionId = `e2e-windows-${randomUUID()}`;
		const answers = [await sendChatMessage(n8n.url, CHAT_WEBHOOK, sessionId, `Make me a short video: ${CHAT_PROMPT}`)];
		step(`chat: answer 1 in ${seconds(answers[0].ms)}: ${answers[0].output}`);
		while (answers.at(-1)!.status === 200 && !/is ready/.test(answers.at(-1)!.output) && answers.length < 8) {
			answers.push(await sendChatMessage(n8n.url, CHAT_WEBHOOK, sessionId, 'Is my video ready yet?'));
			step(`chat: answer ${answers.length} in ${seconds(answers.at(-1)!.ms)}: ${answers.at(-1)!.output}`);
		}
		for (const [turn] of answers.entries()) {
			const calls = policy.callsOfTurn(turn);
			step(`chat: turn ${turn + 1}: ${calls.map((call) => `${call.name} ${seconds(callMs(call))} → ${JSON.stringify(call.answer).slice(0, 160)}`).join(' | ')}`);
		}

		// Every answer came back, inside the chat client's window.
		for (const answer of answers) {
			expect(answer.status).toBe(200);
			expect(answer.ms).toBeLessThan(CHAT_CLIENT_WINDOW_MS);
		}
		// The first answer: the video is started and still being made, under its id.
		const created = policy.calls.find((call) => call.name === 'Luma_Generate')?.answer;
		const id = String(created?.id);
		expect(id).toMatch(UUID);
		expect(answers[0].output).toContain(id);
		expect(answers[0].output).toMatch(/still being made/);
		// Asked again, the last answer is the video.
		expect(answers.length).toBeGreaterThan(1);
		expect(answers.at(-1)!.output).toBe(`Your video is ready: ${emulator.baseUrl}/assets/${id}.mp4 (generation ${id}).`);
		// One Luma Generate call in the whole conversation, one create.
		expect(policy.calls.filter((call) => call.name === 'Luma_Generate')).toHaveLength(1);
		expect(emulator.createsByPrompt.get(CHAT_PROMPT)).toBe(1);
		// Every Luma Wait answer: still running with the id and the advice, or the video.
		const waits = policy.calls.filter((call) => call.name === 'Luma_Wait');
		for (const call of waits) {
			expect(call.args).toEqual({ generationId: id });
			if (call.answer?.timedOut === true) expect(call.answer).toEqual(expect.objectContaining({ id, advice: expect.stringMatching(/call this tool again/i) }));
			else expect(call.answer).toEqual(expect.objectContaining({ id, state: 'completed' }));
		}
		// The budget is per execution: in a turn whose first wait timed out, the model's second
		// call found the turn's Max Wait spent, and all the turn's waits together stayed within it.
		const turnsWaitedTwice = answers.map((_, turn) => policy.callsOfTurn(turn).filter((call) => call.name === 'Luma_Wait')).filter((turnWaits) => turnWaits.length === 2);
		expect(turnsWaitedTwice.length).toBeGreaterThan(0);
		for (const turnWaits of turnsWaitedTwice) {
			expect(turnWaits[1].answer).toEqual(expect.objectContaining({ id, timedOut: true }));
			// With the turn's wait spent it reads the state once, without holding: never an unknown state.
			expect((turnWaits[1].answer as { state?: unknown }).state).toMatch(/^(queued|dreaming)$/);
			expect(turnWaits.reduce((sum, call) => sum + callMs(call), 0)).toBeLessThan((TOOL_MAX_WAIT_SECONDS + 10) * 1000);
		}
	});

	test('MCP Server Trigger (Streamable HTTP, 60 s client timeout), a 90 s video: the first wait answers in time with the id, a later one the video, one create', async () => {
		const result = await mcpVideo(`${n8n.url}/mcp/${MCP_PATH}`, MCP_PROMPTS.regular);
		expectMcpVideo(result, MCP_PROMPTS.regular);
		// In regular mode the call runs outside any execution, and the create's log line says so.
		const created = createLogLine(n8n.output(), result.id);
		step(`MCP, regular mode: ${created}`);
		expect(created).toContain('(no execution: a tool call');
	});

	test('Call n8n Workflow Tool over Generate → Wait with Single Output: the model receives all three outcomes', async () => {
		emulator.configure(SHORT_TIMELINE);
		model.play([
			{ toolCalls: Object.entries(TOOL_PROMPTS).map(([key, prompt]) => ({ id: `wf_${key}`, name: 'Make_video', args: { prompt } })) },
			{ text: 'Here are your three videos.' },
		]);
		const answer = await sendChatMessage(n8n.url, TOOL_CHAT_WEBHOOK, `e2e-windows-${randomUUID()}`, 'Three videos: a lighthouse, a refused scene, a glacier');
		step(`workflow tool: answered in ${seconds(answer.ms)}: ${answer.output}`);
		const outcomes = Object.fromEntries(Object.keys(TOOL_PROMPTS).map((key) => [key, model.toolAnswer(`wf_${key}`)])) as Record<string, Array<Record<string, unknown>>>;
		step(`workflow tool: the model received ${JSON.stringify(outcomes).slice(0, 1500)}`);

		expect(answer.status).toBe(200);
		expect(answer.output).toBe('Here are your three videos.');
		expect(outcomes.ok).toEqual([expect.objectContaining({ prompt: TOOL_PROMPTS.ok, status: 'completed', state: 'completed', videoUrl: expect.stringMatching(/\/assets\/.+\.mp4$/) })]);
		expect(outcomes.fail).toEqual([expect.objectContaining({ prompt: TOOL_PROMPTS.fail, status: 'failed', state: 'failed', failureReason: 'Contains blacklisted words' })]);
		expect(outcomes.slow).toEqual([expect.objectContaining({ prompt: TOOL_PROMPTS.slow, status: 'timedOut', timedOut: true, state: 'queued', id: expect.stringMatching(UUID) })]);
		for (const prompt of Object.values(TOOL_PROMPTS)) expect(emulator.createsByPrompt.get(prompt)).toBe(1);
	});
});

describeOn(['2x', '1x'], `n8n ${n8nVersion()}, queue mode (main + 1 worker): the MCP Server Trigger inside its client's window`, () => {
	const running: Array<{ stop: () => Promise<void> }> = [];
	let main: RunningN8n;
	let worker: RunningN8n;

	beforeAll(async () => {
		running.push(await startPostgres(QUEUE_PORTS.postgres));
		running.push(await startRedis(QUEUE_PORTS.redis));
		const mainHome = queueHome(await prepareHome('agent-windows-queue-main', process.env.E2E_TARBALL!, QUEUE_MAIN_PORT), QUEUE_PORTS, 'main');
		await importFile(mainHome, 'credentials', writeCredentialFile(KEY, emulator.baseUrl));
		await importFile(mainHome, 'workflow', writeWorkflowFile('e2e-agent-windows-queue', [mcpWorkflow('LumaWinMcpQueue1')]));
		let rest: N8nRest;
		({ n8n: main, rest } = await startLoggedIn(mainHome, 2_000_000));
		running.push(main);
		await activate(rest, 'LumaWinMcpQueue1');
		const workerHome = queueHome(await prepareHome('agent-windows-queue-worker', process.env.E2E_TARBALL!, QUEUE_WORKER_PORT), QUEUE_PORTS, 'worker');
		worker = await startWorker(workerHome, QUEUE_PORTS, 2);
		running.push(worker);
		await mcpListening(`${main.url}/mcp/${MCP_PATH}`);
	});

	afterAll(async () => {
		for (const service of running.reverse()) await service.stop().catch((error: unknown) => console.error(error));
	});

	test(`MCP Server Trigger, a 90 s video: the first wait answers in time with the id, a later one the video, one create; the tools run ${N8N_LINE === '2x' ? 'on the worker' : 'in main (1.x)'}`, async () => {
		const finishedBefore = finishedExecutions(worker);
		const result = await mcpVideo(`${main.url}/mcp/${MCP_PATH}`, MCP_PROMPTS.queue);
		const onWorker = finishedExecutions(worker) - finishedBefore;
		const inWorker = createLogLine(worker.output(), result.id);
		const inMain = createLogLine(main.output(), result.id);
		step(`MCP, queue mode: ${onWorker} executions finished on the worker for ${1 + result.waits.length} tool calls; the create logged by the worker: ${inWorker ?? 'no'}; by main: ${inMain ?? 'no'}`);
		expectMcpVideo(result, MCP_PROMPTS.queue);
		if (N8N_LINE === '2x') {
			// n8n 2.x sends each MCP tool call to a worker as an execution of its own.
			expect(onWorker).toBeGreaterThanOrEqual(1 + result.waits.length);
			expect(inWorker).toMatch(/\(execution \d+,/);
			expect(inMain).toBeUndefined();
		} else {
			// n8n 1.x has no queued MCP tool calls: main runs the tool, outside any execution.
			expect(inMain).toContain('(no execution: a tool call');
			expect(inWorker).toBeUndefined();
		}
	});
});
