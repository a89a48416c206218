/**
 * A scripted stand-in for an OpenAI-compatible model server, on loopback only. n8n's OpenAI
 * Chat Model node is pointed at it through its credential's Base URL. It answers the chat
 * completions API by playing a fixed script of turns, and records every request: the messages
 * (tool results included) and the tools offered. n8n's agent streams from the model only when
 * its trigger responds by streaming; a request to stream is refused here, so a test notices.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import type { CredentialEntry } from './examples';

export interface OfferedTool {
	name: string;
	description: string;
	/** JSON schema of the tool's arguments. */
	parameters: { properties?: Record<string, { type?: string; description?: string }>; required?: string[] };
}

export interface ChatMessage {
	role: string;
	content: unknown;
	tool_call_id?: string;
	tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>;
}

export interface ModelRequest {
	messages: ChatMessage[];
	tools: OfferedTool[];
	body: Record<string, unknown>;
}

export interface ToolCall {
	/** Call id, so a test can find the tool's answer to this very call. */
	id: string;
	name: string;
	args: Record<string, unknown>;
}

/** One model turn: call tools, or answer in text (which ends the agent's run). */
export type Reply = { toolCalls: ToolCall[] } | { text: string };
export type Turn = Reply | ((request: ModelRequest) => Reply);

export class FakeModel {
	readonly requests: ModelRequest[] = [];

	private script: Turn[] = [];

	private server?: http.Server;

	/** Starts on 127.0.0.1 (port 0: any free port). */
	async start(port = 0): Promise<this> {
		this.server = http.createServer((req, res) => void this.handle(req, res));
		await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
		return this;
	}

	async stop(): Promise<void> {
		this.server?.closeAllConnections();
		await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
	}

	/** The Base URL for the `openAiApi` credential. */
	get baseUrl(): string {
		return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/v1`;
	}

	/** The `openAiApi` credential the examples' OpenAI Chat Model uses, pointed at this server. */
	credential(): CredentialEntry {
		return { id: 'openAiAccount001', name: 'OpenAI account', type: 'openAiApi', data: { apiKey: 'sk-fake-model', url: this.baseUrl } };
	}

	/** Plays these turns from the next request on, forgetting earlier requests. */
	play(script: Turn[]): void {
		this.script = [...script];
		this.requests.length = 0;
	}

	/** What the tool answered to one call, as the model got it (the tool message's content, parsed). */
	toolAnswer(callId: string): unknown {
		for (const request of [...this.requests].reverse()) {
			const message = request.messages.find((m) => m.role === 'tool' && m.tool_call_id === callId);
			if (message) return JSON.parse(String(message.content));
		}
		throw new Error(`no request carried an answer to tool call ${callId}`);
	}

	private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
			return send(res, 404, { error: { message: `The fake model serves only POST /v1/chat/completions, not ${req.method} ${req.url}` } });
		}
		const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
		const request: ModelRequest = {
			body,
			messages: (body.messages ?? []) as ChatMessage[],
			tools: ((body.tools ?? []) as Array<{ function: OfferedTool }>).map((tool) => tool.function),
		};
		this.requests.push(request);
		if (body.stream === true) return send(res, 400, { error: { message: 'The fake model does not stream' } });
		const turn = this.script.shift() ?? { text: 'The script is over.' };
		let reply: Reply;
		try {
			reply = typeof turn === 'function' ? turn(request) : turn;
		} catch (error) {
			return send(res, 400, { error: { message: `fake model script: ${(error as Error).message}` } });
		}
		const unknown = 'toolCalls' in reply ? reply.toolCalls.filter((call) => !request.tools.some((tool) => tool.name === call.name)) : [];
		if (unknown.length > 0) {
			const offered = request.tools.map((tool) => tool.name).join(', ');
			return send(res, 400, { error: { message: `fake model script calls ${unknown[0].name}, not offered (offered: ${offered})` } });
		}
		send(res, 200, completion(String(body.model ?? 'fake'), reply));
	}
}

function send(res: http.ServerResponse, status: number, json: unknown): void {
	res.writeHead(status, { 'Content-Type': 'application/json' });
	res.end(JSON.stringify(json));
}

function message(reply: Reply) {
	if ('text' in reply) return { role: 'assistant', content: reply.text };
	return {
		role: 'assistant',
		content: null,
		tool_calls: reply.toolCalls.map((call) => ({
			id: call.id,
			type: 'function',
			function: { name: call.name, arguments: JSON.stringify(call.args) },
		})),
	};
}

const USAGE = { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 };

function completion(model: string, reply: Reply) {
	return {
		id: `chatcmpl-${Date.now()}`,
		object: 'chat.completion',
		created: Math.floor(Date.now() / 1000),
		model,
		choices: [{ index: 0, message: message(reply), finish_reason: 'text' in reply ? 'stop' : 'tool_calls' }],
		usage: USAGE,
	};
}

/**
 * The turns the agent example is tested with: create one video, wait for that id, answer. The
 * model's second turn reads the id Luma Generate returned.
 */
export function playAgentVideo(model: FakeModel): void {
	model.play([
		{ toolCalls: [{ id: 'gen', name: 'Luma_Generate', args: { prompt: 'A calm lake at dawn, mist rising' } }] },
		() => {
			const [created] = model.toolAnswer('gen') as Array<{ id: string }>;
			return { toolCalls: [{ id: 'wait', name: 'Luma_Wait', args: { generationId: created.id } }] };
		},
		{ text: 'Here is your lake video.' },
	]);
}
