/** The API's four calls (API.md sections 1 to 3, and the video download), each one request loop. */
import type { IBinaryData, IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { Generation, LumaState } from '../generation';
import { normalizeGeneration, normalizeGenerations } from '../generation';
import { timing } from '../timing';
import { parseJson } from './answer';
import { call, connection, jsonRequest, parseUrl } from './request';

export const GENERATION_PATH = '/v2/generate/video/luma-ai/generation';
export const GENERATIONS_PATH = '/v2/generate/video/luma-ai/generations';
export const TOKENS_PER_CREATE = 500_000;

function longPollTimeout(deadline?: number): number {
	if (deadline === undefined) return timing.longPollTimeoutMs;
	return Math.max(1, Math.min(timing.longPollTimeoutMs, deadline - Date.now()));
}

/**
 * POST a create. Sent at most once unless the server certainly did not accept it. A failure
 * that certainly created nothing carries `certainlyNotCreated(error)`.
 */
export async function createGeneration(ctx: IExecuteFunctions, body: IDataObject, itemIndex: number): Promise<Generation> {
	return await call(ctx, {
		kind: 'create',
		what: `Creating the generation for item ${itemIndex}`,
		itemIndex,
		request: (conn) => jsonRequest(conn, 'POST', GENERATION_PATH, timing.requestTimeoutMs, { body: JSON.stringify(body) }),
		read: (answer) => normalizeGeneration(parseJson(answer.body)),
	});
}

export interface FetchOptions {
	/** Long-poll until this state or a later one (omit for an instant answer). */
	waitFor?: LumaState;
	deadline?: number;
	itemIndex?: number;
}

/** GET one generation; with `waitFor`, the server holds the request up to its 30 s. */
export async function fetchGeneration(ctx: IExecuteFunctions, id: string, options: FetchOptions = {}): Promise<Generation> {
	return await call(ctx, {
		kind: 'read',
		what: `Fetching generation ${id}`,
		itemIndex: options.itemIndex,
		deadline: options.deadline,
		request: (conn) =>
			jsonRequest(conn, 'GET', GENERATION_PATH, options.waitFor ? longPollTimeout(options.deadline) : timing.requestTimeoutMs, {
				qs: { generation_id: id, ...(options.waitFor ? { state: options.waitFor } : {}) },
			}),
		read: (answer) => normalizeGeneration(parseJson(answer.body)),
	});
}

/** The fetch-many endpoint refused the request (it may not exist on this gateway). */
export const BATCH_REFUSED = Symbol('batch refused');

/** GET several generations in one long poll; BATCH_REFUSED when the endpoint refuses it. */
export async function fetchGenerations(
	ctx: IExecuteFunctions,
	ids: string[],
	options: Omit<FetchOptions, 'itemIndex'> = {},
): Promise<Generation[] | typeof BATCH_REFUSED> {
	return await call<Generation[] | typeof BATCH_REFUSED>(ctx, {
		kind: 'read',
		what: `Fetching ${ids.length} generations`,
		deadline: options.deadline,
		request: (conn) =>
			jsonRequest(conn, 'GET', GENERATIONS_PATH, options.waitFor ? longPollTimeout(options.deadline) : timing.requestTimeoutMs, {
				qs: { generation_ids: ids, ...(options.waitFor ? { status: options.waitFor } : {}) },
				arrayFormat: 'brackets',
			}),
		read: (answer) => normalizeGenerations(parseJson(answer.body)),
		refused: [400, 404, 405],
		onRefused: () => BATCH_REFUSED,
	});
}

/** Whether a URL is on the API's own host: only there does a request carry the key. */
export async function isApiHost(ctx: IExecuteFunctions, url: string): Promise<boolean> {
	const conn = await connection(ctx);
	return parseUrl(url)?.origin === new URL(conn.baseUrl).origin;
}

type BinarySource = Parameters<IExecuteFunctions['helpers']['prepareBinaryData']>[0];

/** Streams a video into n8n binary data; the key goes along only to the API's own host. */
export async function downloadVideo(ctx: IExecuteFunctions, url: string, fileName: string, itemIndex: number): Promise<IBinaryData> {
	const withKey = await isApiHost(ctx, url);
	const stream = await call(ctx, {
		kind: 'read',
		what: `Downloading the video for item ${itemIndex}`,
		itemIndex,
		withKey,
		request: () => ({ method: 'GET', url, encoding: 'stream', timeout: timing.downloadTimeoutMs }),
		read: (answer) => answer.body as BinarySource,
	});
	return await ctx.helpers.prepareBinaryData(stream, fileName, 'video/mp4');
}
