/**
 * An MCP client as MCP clients of n8n's MCP Server Trigger are: the official TypeScript SDK's
 * `Client` over Streamable HTTP (what the trigger serves at its production URL, `/mcp/<path>`, from
 * version 2 on; it also serves the older SSE transport by GET on the same path), with the SDK's
 * usual 60 s request timeout. Each tool call is timed, and its text answer parsed.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { waitUntil } from './runtime';

/** What common MCP clients (and the SDK by default) wait for one request. */
export const MCP_CLIENT_TIMEOUT_MS = 60_000;

export interface ListedTool {
	name: string;
	description?: string;
	inputSchema: { type?: string; properties?: Record<string, { type?: string; description?: string }>; required?: string[] };
}

export interface TimedCall {
	/** The tool's text answer parsed as JSON when it is JSON (a node tool answers with its items: the first is taken). */
	answer: Record<string, unknown>;
	/** The raw text content of the answer. */
	text: string;
	isError: boolean;
	/** From sending the request to its answer, measured by the client. */
	ms: number;
}

export class McpSession {
	private constructor(
		private readonly client: Client,
		private readonly transport: StreamableHTTPClientTransport,
	) {}

	/** Connects (initialize + initialized) to an MCP Server Trigger's production URL. */
	static async connect(url: string, name = 'e2e-mcp-client'): Promise<McpSession> {
		const client = new Client({ name, version: '1.0.0' });
		const transport = new StreamableHTTPClientTransport(new URL(url));
		await client.connect(transport, { timeout: MCP_CLIENT_TIMEOUT_MS });
		return new McpSession(client, transport);
	}

	get sessionId(): string | undefined {
		return this.transport.sessionId;
	}

	async listTools(): Promise<ListedTool[]> {
		const { tools } = await this.client.listTools(undefined, { timeout: MCP_CLIENT_TIMEOUT_MS });
		return tools as ListedTool[];
	}

	/**
	 * Calls a tool with the client's 60 s timeout: a call that takes longer rejects, as it does in
	 * an MCP client (the SDK's McpError "Request timed out"), with the time it took in the message.
	 */
	async callTool(name: string, args: Record<string, unknown>): Promise<TimedCall> {
		const started = Date.now();
		let result: Awaited<ReturnType<Client['callTool']>>;
		try {
			result = await this.client.callTool({ name, arguments: args }, undefined, { timeout: MCP_CLIENT_TIMEOUT_MS, resetTimeoutOnProgress: false });
		} catch (error) {
			throw new Error(`MCP tool call ${name}(${JSON.stringify(args)}) failed after ${Date.now() - started} ms: ${(error as Error).message}`);
		}
		const ms = Date.now() - started;
		const content = (result.content ?? []) as Array<{ type: string; text?: string }>;
		const text = content.filter((part) => part.type === 'text').map((part) => part.text ?? '').join('');
		return { answer: parseAnswer(text), text, isError: result.isError === true, ms };
	}

	async close(): Promise<void> {
		await this.transport.terminateSession().catch(() => undefined);
		await this.client.close().catch(() => undefined);
	}
}

/** A node tool's answer: its items' JSON (an array: the first), or an object; otherwise the text under `text`. */
function parseAnswer(text: string): Record<string, unknown> {
	try {
		const parsed = JSON.parse(text) as unknown;
		const first = Array.isArray(parsed) ? (parsed[0] as unknown) : parsed;
		if (typeof first === 'object' && first !== null) return first as Record<string, unknown>;
		return { text };
	} catch {
		return { text };
	}
}

/** Waits until an MCP Server Trigger's production URL is registered (publishing takes a moment): a DELETE without a session is then refused with 400, not 404. */
export async function mcpListening(url: string): Promise<void> {
	await waitUntil(`the MCP endpoint ${url} is registered`, async () => {
		const res = await fetch(url, { method: 'DELETE' });
		await res.text();
		return res.status !== 404;
	}, 60_000);
}
