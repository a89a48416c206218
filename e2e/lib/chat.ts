/**
 * A chat with an n8n Chat Trigger as its hosted chat page holds it, and a scripted model that
 * follows the tools' advice, for the tests of how long an agent's turn takes.
 *
 * - `sendChatMessage` POSTs `{action: 'sendMessage', sessionId, chatInput}` to the trigger's
 *   production chat URL (`/webhook/<webhookId>/chat`), as n8n's chat widget does, and measures
 *   how long the answer took. It waits longer than a chat client would (the widget gives up after
 *   about 90 s), so a slow answer is measured, not cut.
 * - `VideoChatModel` is a policy for the fake model (e2e/lib/fake-model.ts): in a new turn it
 *   starts the video with Luma Generate (once per conversation: an id found anywhere in the
 *   conversation is waited for instead), waits with Luma Wait, calls Luma Wait again when told the
 *   video is still being made (as the advice says, up to `waitsPerTurn` calls a turn), then
 *   answers with what the tool said. It times each tool call from its reply to the request
 *   carrying the tool's answer.
 */
import type { ChatMessage, ModelRequest, Reply } from './fake-model';
import { waitUntil } from './runtime';

export interface ChatAnswer {
	status: number;
	/** From sending the message to the whole answer, measured by the caller. */
	ms: number;
	/** The agent's reply (`output` of a Chat Trigger answering with the last node). */
	output: string;
	body: unknown;
}

/** Waits until the public chat's page answers (publishing takes a moment). */
export async function chatListening(baseUrl: string, webhookId: string): Promise<void> {
	await waitUntil(`the chat ${webhookId} is registered`, async () => {
		const res = await fetch(`${baseUrl}/webhook/${webhookId}/chat`);
		await res.text();
		return res.status === 200;
	}, 60_000);
}

/** One message, as the hosted chat page sends it; the time to the full answer. */
export async function sendChatMessage(baseUrl: string, webhookId: string, sessionId: string, chatInput: string): Promise<ChatAnswer> {
	const started = Date.now();
	const res = await fetch(`${baseUrl}/webhook/${webhookId}/chat`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ action: 'sendMessage', sessionId, chatInput }),
		// Far past what a chat client waits, so a late answer is measured rather than lost.
		signal: AbortSignal.timeout(6 * 60_000),
	});
	const text = await res.text();
	const ms = Date.now() - started;
	let body: unknown = text;
	try {
		body = JSON.parse(text);
	} catch {
		// kept as text
	}
	const output = typeof body === 'object' && body !== null && typeof (body as { output?: unknown }).output === 'string' ? (body as { output: string }).output : text;
	return { status: res.status, ms, output, body };
}

export interface TimedToolCall {
	callId: string;
	name: string;
	args: Record<string, unknown>;
	/** Which user turn (0-based) of the conversation the call belongs to. */
	turn: number;
	sentAt: number;
	answeredAt?: number;
	/** The tool's answer as the model received it (the first item, parsed). */
	answer?: Record<string, unknown>;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

function textOf(message: ChatMessage): string {
	return typeof message.content === 'string' ? message.content : JSON.stringify(message.content ?? '');
}

function parseToolAnswer(content: unknown): Record<string, unknown> {
	try {
		const parsed = JSON.parse(String(content)) as unknown;
		const first = Array.isArray(parsed) ? (parsed[0] as unknown) : parsed;
		return typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : { text: String(content) };
	} catch {
		return { text: String(content) };
	}
}

export class VideoChatModel {
	readonly calls: TimedToolCall[] = [];

	private counter = 0;

	private turnIndex = -1;

	constructor(
		private readonly prompt: string,
		private readonly names = { generate: 'Luma_Generate', wait: 'Luma_Wait' },
		private readonly waitsPerTurn = 2,
	) {}

	/** The Turn to give the fake model (each request is answered by this policy). */
	readonly turn = (request: ModelRequest): Reply => {
		const now = Date.now();
		for (const message of request.messages.filter((m) => m.role === 'tool')) {
			const call = this.calls.find((c) => c.callId === message.tool_call_id && c.answeredAt === undefined);
			if (call) {
				call.answeredAt = now;
				call.answer = parseToolAnswer(message.content);
			}
		}
		const lastUser = request.messages.map((m) => m.role).lastIndexOf('user');
		// A turn's first request carries no tool answer after the user's message.
		if (!request.messages.slice(lastUser + 1).some((m) => m.role === 'tool')) this.turnIndex += 1;
		const earlier = request.messages.slice(0, lastUser);
		const thisTurn = this.calls.filter((c) => c.turn === this.turnIndex);
		const last = thisTurn.at(-1);
		if (!last) {
			const known = earlier.flatMap((m) => textOf(m).match(UUID) ?? []).at(-1);
			return known ? this.call(this.names.wait, { generationId: known }) : this.call(this.names.generate, { prompt: this.prompt });
		}
		const answer = last.answer ?? {};
		if (last.name === this.names.generate) {
			return typeof answer.id === 'string' ? this.call(this.names.wait, { generationId: answer.id }) : { text: `I could not start the video: ${JSON.stringify(answer)}` };
		}
		const waits = thisTurn.filter((c) => c.name === this.names.wait).length;
		if (answer.timedOut === true && waits < this.waitsPerTurn) return this.call(this.names.wait, { generationId: answer.id });
		return { text: VideoChatModel.say(answer) };
	};

	/** The tool calls of one user turn. */
	callsOfTurn(turn: number): TimedToolCall[] {
		return this.calls.filter((call) => call.turn === turn);
	}

	/** What the model answers for a Luma Wait answer: what the tool said, in words. */
	static say(answer: Record<string, unknown>): string {
		if (answer.state === 'completed') return `Your video is ready: ${String(answer.videoUrl)} (generation ${String(answer.id)}).`;
		if (answer.state === 'failed') return `The video failed: ${String(answer.failureReason)} (generation ${String(answer.id)}).`;
		if (answer.timedOut === true) {
			const state = typeof answer.state === 'string' ? ` (state: ${answer.state})` : '';
			return `Your video (generation ${String(answer.id)}) is still being made${state}. Ask me again in a minute.`;
		}
		return `The tool said: ${JSON.stringify(answer)}`;
	}

	private call(name: string, args: Record<string, unknown>): Reply {
		const callId = `call_${++this.counter}`;
		this.calls.push({ callId, name, args, turn: this.turnIndex, sentAt: Date.now() });
		return { toolCalls: [{ id: callId, name, args }] };
	}
}
