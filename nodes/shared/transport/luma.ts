/** The Luma endpoint (docs/API.md §2, §3): long poll, fetch-many, callbacks. */
import type { IDataObject } from 'n8n-workflow';

import type { LumaState } from '../generation';
import type { VideoRequest } from '../models';
import type { Refusal, VideoApi } from './videoApi';

export const GENERATION_PATH = '/v2/generate/video/luma-ai/generation';
export const GENERATIONS_PATH = '/v2/generate/video/luma-ai/generations';

/** Ray 3.2's fields, which this endpoint's schema does not have. */
const UNIFIED_ONLY: Array<keyof VideoRequest> = ['type', 'video_url', 'hdr', 'exr_export'];

export const lumaApi: VideoApi = {
	name: 'luma',
	label: 'the Luma endpoint (/v2/generate/video/luma-ai)',
	createPath: GENERATION_PATH,
	fetchPath: GENERATION_PATH,
	fetchManyPath: GENERATIONS_PATH,
	longPoll: true,
	callbacks: true,

	refusal(request: VideoRequest): Refusal | undefined {
		if (request.model === 'ray-3.2' || UNIFIED_ONLY.some((field) => request[field] !== undefined)) {
			return {
				field: 'Model',
				problem: '"Ray 3.2" (with HDR, EXR export, Edit Video and Reframe Video) is served only by the gateway\'s unified video API',
				fix: 'Choose Ray 2 or Ray Flash 2, or use a gateway that serves the unified video API (/v2/video/generations) with the credential\'s API set to Automatic.',
			};
		}
		return undefined;
	},

	// The body exactly as the node built it: saved workflows send the same bytes as before.
	createBody: (request: VideoRequest): IDataObject => request,

	fetchQuery(id: string, waitFor?: LumaState): IDataObject {
		return { generation_id: id, ...(waitFor ? { state: waitFor } : {}) };
	},

	fetchManyQuery(ids: string[], waitFor?: LumaState): IDataObject {
		return { generation_ids: ids, ...(waitFor ? { status: waitFor } : {}) };
	},
};
