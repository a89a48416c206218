/**
 * Which of the gateway's APIs a request goes to. The credential may name one; by default
 * (`auto`) the nodes find out once per Base URL and process, with two free reads, and keep it.
 *
 * When both can take a create, the Luma endpoint goes first: a saved workflow keeps sending the
 * same bytes to the same place, and that endpoint long-polls, fetches many at once and takes a
 * callback URL. Ray 3.2 and its options exist only on the unified API. A create goes to a second
 * endpoint only when the first answered that its route does not exist (nothing was created).
 */
import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { ApiName, VideoRequest } from '../models';
import { timing } from '../timing';
import { lumaApi } from './luma';
import type { ProbeVerdict } from './probe';
import { classifyProbe, diagnose, PROBE_GENERATION_ID } from './probe';
import { connection } from './credentials';
import { call, jsonRequest } from './request';
import { unifiedApi } from './unified';
import type { VideoApi } from './videoApi';

export const APIS: Record<ApiName, VideoApi> = { luma: lumaApi, unified: unifiedApi };

/** The order in which a create tries the APIs that can take it. */
const PREFERENCE: readonly VideoApi[] = [lumaApi, unifiedApi];

type Served = Record<ApiName, boolean>;

/** What each Base URL serves, learnt in this process. */
const learnt = new Map<string, Promise<Served>>();

/** One free read of a generation that does not exist, on one API, with the item's credential. */
async function probeApi(ctx: IExecuteFunctions, api: VideoApi, credentialItem: number): Promise<ProbeVerdict> {
	const classify = (answer: { status: number; body: unknown }) => classifyProbe(answer.status, answer.body);
	return await call(ctx, {
		kind: 'read',
		what: `Checking whether the gateway serves ${api.label}`,
		credentialItem,
		request: (conn) => jsonRequest(conn, 'GET', api.fetchPath, timing.requestTimeoutMs, { qs: api.fetchQuery(PROBE_GENERATION_ID) }),
		read: classify,
		refused: [400, 401, 403, 404, 405, 410, 422],
		onRefused: classify,
	});
}

async function detect(ctx: IExecuteFunctions, baseUrl: string, credentialItem: number): Promise<Served> {
	const [luma, unified] = await Promise.all([probeApi(ctx, lumaApi, credentialItem), probeApi(ctx, unifiedApi, credentialItem)]);
	const { served, problem } = diagnose({ luma, unified }, baseUrl);
	if (served.length === 0 && problem) {
		throw new NodeOperationError(ctx.getNode(), problem.message, { description: problem.fix });
	}
	const found = { luma: served.includes('luma'), unified: served.includes('unified') };
	ctx.logger.info(
		`Luma: ${baseUrl} serves ${[found.luma ? lumaApi.label : '', found.unified ? unifiedApi.label : ''].filter(Boolean).join(' and ')}`,
	);
	return found;
}

/** The APIs the gateway of an item's credential serves: as set in the credential, or found out once per Base URL. */
export async function servedApis(ctx: IExecuteFunctions, credentialItem = 0): Promise<Served> {
	const conn = await connection(ctx, credentialItem);
	if (conn.api !== 'auto') return { luma: conn.api === 'luma', unified: conn.api === 'unified' };
	let found = learnt.get(conn.baseUrl);
	if (!found) {
		found = detect(ctx, conn.baseUrl, credentialItem);
		// Only a clear answer is kept: a failed check is tried again by the next request.
		found.catch(() => learnt.delete(conn.baseUrl));
		learnt.set(conn.baseUrl, found);
	}
	return await found;
}

/** Forgets what was learnt about the gateway (it answered that a route it served is gone). */
export async function relearn(ctx: IExecuteFunctions, credentialItem = 0): Promise<boolean> {
	const conn = await connection(ctx, credentialItem);
	if (conn.api !== 'auto') return false;
	learnt.delete(conn.baseUrl);
	return true;
}

/**
 * The API a create goes to. Throws a NodeOperationError naming the item and the field when no
 * API this gateway serves can take the request (checked before anything is sent).
 */
export async function apiForCreate(ctx: IExecuteFunctions, request: VideoRequest, itemIndex: number): Promise<VideoApi> {
	const served = await servedApis(ctx, itemIndex);
	const usable = PREFERENCE.filter((api) => served[api.name]);
	const fit = usable.find((api) => api.refusal(request) === undefined);
	if (fit) return fit;
	// A refusal of another field is the one to fix: the model itself is served by some API.
	const refusals = usable.map((api) => api.refusal(request)!);
	const refusal = refusals.find((candidate) => candidate.field !== 'Model') ?? refusals[0];
	const only = usable.length === 1 ? ` (this gateway serves only ${usable[0].label})` : '';
	throw new NodeOperationError(ctx.getNode(), `${refusal.field} ${refusal.problem}${only} [item ${itemIndex}]`, {
		itemIndex,
		description: refusal.fix,
	});
}

/** Where to ask about a generation, and where else it may be when that is a guess. */
export interface GenerationHome {
	api: VideoApi;
	/** Set when the gateway serves both APIs and nothing says which made this id: ask here on a 404. */
	orElse?: VideoApi;
}

/**
 * The API to ask about a generation: the one `hint` names (the `api` field Luma Generate writes
 * next to the id) when the gateway serves it, else the one API the gateway serves. When it serves
 * both and nothing says which made the id, the Luma endpoint first (its long poll waits for many
 * ids in one request), with the unified API in `orElse` for when the id is unknown there. Sends
 * no request of its own beyond the once-per-gateway check (`servedApis`); throws as that does.
 */
export async function apiForGeneration(ctx: IExecuteFunctions, _id: string, hint?: unknown, credentialItem = 0): Promise<GenerationHome> {
	const served = await servedApis(ctx, credentialItem);
	const known = hint === 'luma' || hint === 'unified' ? hint : undefined;
	if (known && served[known]) return { api: APIS[known] };
	if (!served.luma || !served.unified) return { api: served.luma ? lumaApi : unifiedApi };
	return { api: lumaApi, orElse: unifiedApi };
}
