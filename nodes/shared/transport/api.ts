/** The API's calls (create, fetch one, fetch many, the video download), each one request loop, on either API. */
import type { IBinaryData, IExecuteFunctions } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import type { Generation, LumaState } from '../generation';
import { normalizeGeneration, normalizeGenerations } from '../generation';
import type { ApiName, VideoRequest } from '../models';
import { MODELS } from '../models';
import { timing } from '../timing';
import { parseJson } from './answer';
import { httpError, markNotCreated } from './errors';
import { apiForCreate, relearn } from './gateway';
import { lumaApi } from './luma';
import { classifyProbe } from './probe';
import { connection, parseUrl } from './credentials';
import type { QueueSettings } from './queued';
import { call, jsonRequest } from './request';
import type { VideoApi } from './videoApi';

/**
 * The state to long-poll for, or undefined for an instant answer: with less than two seconds left
 * before the deadline a hold would be cut before the server answers (it holds up to 30 s), and the
 * caller would learn nothing, not even the current state.
 */
function holdFor(waitFor: LumaState | undefined, deadline?: number): LumaState | undefined {
	return waitFor !== undefined && (deadline === undefined || deadline - Date.now() >= 2 * timing.secondMs) ? waitFor : undefined;
}

function longPollTimeout(deadline?: number): number {
	if (deadline === undefined) return timing.longPollTimeoutMs;
	return Math.max(1, Math.min(timing.longPollTimeoutMs, deadline - Date.now()));
}

/** A create the server accepted: the generation as it answered, and where it lives. */
export interface CreatedGeneration {
	generation: Generation;
	/** The API that created it. */
	api: ApiName;
}

/** The create's route does not exist on this gateway (HTTP 404/405/410 with no word of a generation). */
const NO_ROUTE = Symbol('no route');

/**
 * POST a create to the API that takes it. Sent at most once unless the server certainly did not
 * accept it; a second endpoint is tried only when the first answered that its route does not
 * exist. With `queue`, it waits its turn in the account's create queue (a 429 never fails it).
 * A failure that certainly created nothing carries `certainlyNotCreated(error)`.
 */
export async function createGeneration(ctx: IExecuteFunctions, request: VideoRequest, itemIndex: number, queue?: QueueSettings): Promise<CreatedGeneration> {
	const what = `Creating the generation for item ${itemIndex}`;
	for (let attempt = 1; ; attempt++) {
		let api: VideoApi;
		try {
			api = await apiForCreate(ctx, request, itemIndex);
		} catch (error) {
			throw markNotCreated(error as NodeApiError | NodeOperationError);
		}
		const body = JSON.stringify(api.createBody(request));
		let created: Generation | typeof NO_ROUTE;
		try {
			created = await call<Generation | typeof NO_ROUTE>(ctx, {
				kind: 'create',
				what,
				itemIndex,
				request: (conn) => jsonRequest(conn, 'POST', api.createPath, timing.requestTimeoutMs, { body }),
				queue,
				read: (answer) => normalizeGeneration(parseJson(answer.body)),
				refused: [404, 405, 410],
				onRefused: (answer, conn) => {
					if (classifyProbe(answer.status, answer.body).kind === 'noRoute') return NO_ROUTE;
					throw markNotCreated(httpError(ctx, conn.apiKey, answer, { what, itemIndex }));
				},
			});
		} catch (error) {
			throw withReplacement(error, request);
		}
		if (created !== NO_ROUTE) {
			return { generation: created, api: api.name };
		}
		const conn = await connection(ctx, itemIndex);
		// Nothing was created: find out again which API the gateway serves, once.
		if (attempt === 1 && (await relearn(ctx, itemIndex))) {
			ctx.logger.warn(`Luma: ${conn.baseUrl} has no route for ${api.label} any more; nothing was created, checking which API it serves now`);
			continue;
		}
		throw markNotCreated(
			new NodeOperationError(ctx.getNode(), `${what} failed: ${conn.baseUrl} does not serve ${api.label} (no such route). Nothing was created.`, {
				itemIndex,
				description:
					conn.api === 'auto'
						? 'Check the Base URL in the Apilaplas API credential.'
						: 'Set API to Automatic in the Apilaplas API credential, or check its Base URL.',
			}),
		);
	}
}

/** A retired model the server refuses: the error names the model to use instead. */
function withReplacement(error: unknown, request: VideoRequest): unknown {
	const replacement = MODELS[request.model]?.replacedBy;
	if (!replacement || !(error instanceof NodeApiError) || !['400', '404', '410', '422'].includes(error.httpCode ?? '')) return error;
	error.description = `${MODELS[request.model].label} is retired: set Model to ${MODELS[replacement].label}, its replacement. ${error.description ?? ''}`.trim();
	return error;
}

export interface FetchOptions {
	/** The API the generation lives on (see `apiForGeneration`). */
	api: VideoApi;
	/** Long-poll until this state or a later one (omit for an instant answer; ignored without a long poll). */
	waitFor?: LumaState;
	deadline?: number;
	itemIndex?: number;
	/** The item whose credential the read carries (default: `itemIndex`, else 0). */
	credentialItem?: number;
}

/**
 * GET one generation on `options.api`. On an API with a long poll and with `waitFor`, the server
 * holds the request up to its 30 s (never past `deadline`, ms since epoch). Reads are retried as
 * `call` does (network errors, 408, 429, 5xx, unreadable answers); throws a NodeApiError naming
 * the id on a final failure (e.g. HTTP 404 for an id the account does not have).
 */
export async function fetchGeneration(ctx: IExecuteFunctions, id: string, options: FetchOptions): Promise<Generation> {
	const waitFor = options.api.longPoll ? holdFor(options.waitFor, options.deadline) : undefined;
	return await call(ctx, {
		kind: 'read',
		what: `Fetching generation ${id}`,
		itemIndex: options.itemIndex,
		credentialItem: options.credentialItem,
		deadline: options.deadline,
		request: (conn) =>
			// Asked to wait, the read ends by the deadline even when it does not hold (a server might anyway).
			jsonRequest(conn, 'GET', options.api.fetchPath, options.api.longPoll && options.waitFor ? longPollTimeout(options.deadline) : timing.requestTimeoutMs, {
				qs: options.api.fetchQuery(id, waitFor),
			}),
		read: (answer) => normalizeGeneration(parseJson(answer.body)),
	});
}

/** The fetch-many endpoint refused the request (it may not exist on this gateway). */
export const BATCH_REFUSED = Symbol('batch refused');

/**
 * GET several generations of the Luma endpoint in one long poll (held up to the server's 30 s
 * when `waitFor` is set and the deadline allows). Resolves to the generations the server returned
 * (it may leave ids out), or BATCH_REFUSED when the endpoint refuses the request (400, 405, or a
 * 404 without word of a generation). Throws a NodeApiError naming the ids on a 404 about an
 * unknown generation, and as `call` does on other failures.
 */
export async function fetchGenerations(
	ctx: IExecuteFunctions,
	ids: string[],
	options: Omit<FetchOptions, 'itemIndex' | 'api'> = {},
): Promise<Generation[] | typeof BATCH_REFUSED> {
	const waitFor = holdFor(options.waitFor, options.deadline);
	return await call<Generation[] | typeof BATCH_REFUSED>(ctx, {
		kind: 'read',
		what: `Fetching ${ids.length} generations`,
		credentialItem: options.credentialItem,
		deadline: options.deadline,
		request: (conn) =>
			jsonRequest(conn, 'GET', lumaApi.fetchManyPath!, options.waitFor ? longPollTimeout(options.deadline) : timing.requestTimeoutMs, {
				qs: lumaApi.fetchManyQuery!(ids, waitFor),
				arrayFormat: 'brackets',
			}),
		read: (answer) => normalizeGenerations(parseJson(answer.body)),
		refused: [400, 404, 405],
		// A 404 about a generation is an unknown id among those asked (final, naming it); any other
		// refusal says the endpoint itself is missing or refuses the request.
		onRefused: (answer, conn) => {
			if (answer.status === 404 && classifyProbe(answer.status, answer.body).kind === 'served') {
				throw httpError(ctx, conn.apiKey, answer, { what: `Fetching generations ${ids.join(', ')}` });
			}
			return BATCH_REFUSED;
		},
	});
}

/** Whether a URL is on the API's own host: only there does a request carry the key. */
export async function isApiHost(ctx: IExecuteFunctions, url: string, credentialItem = 0): Promise<boolean> {
	const conn = await connection(ctx, credentialItem);
	return parseUrl(url)?.origin === new URL(conn.baseUrl).origin;
}

type BinarySource = Parameters<IExecuteFunctions['helpers']['prepareBinaryData']>[0];

/**
 * Streams a video (an MP4 at `url`) into n8n binary data named `fileName`; the key goes along only
 * to the API's own host, and a redirect to another host drops it. Throws as `call` does for a
 * failed answer (5xx retried), and a NodeOperationError when the body breaks off midway.
 */
export async function downloadVideo(ctx: IExecuteFunctions, url: string, fileName: string, itemIndex: number): Promise<IBinaryData> {
	const withKey = await isApiHost(ctx, url, itemIndex);
	const stream = await call(ctx, {
		kind: 'read',
		what: `Downloading the video for item ${itemIndex}`,
		itemIndex,
		withKey,
		request: () => ({ method: 'GET', url, encoding: 'stream', timeout: timing.downloadTimeoutMs }),
		read: (answer) => answer.body as BinarySource,
	});
	try {
		return await ctx.helpers.prepareBinaryData(stream, fileName, 'video/mp4');
	} catch (error) {
		// The answer began well and broke off: no partial file is kept as if it were the video.
		throw new NodeOperationError(ctx.getNode(), `Downloading the video for item ${itemIndex} failed: the connection broke before the whole video arrived (${(error as Error).message})`, {
			itemIndex,
			description: 'Nothing partial was kept. Run the node again to download the video again.',
		});
	}
}
