/**
 * The gateway's unified video API (docs/API.md §4): one endpoint for every video model, the
 * model in the body, integer durations, no long poll and no fetch-many.
 */
import type { IDataObject } from 'n8n-workflow';

import type { VideoRequest } from '../models';
import { MODELS } from '../models';
import { timing } from '../timing';
import type { Refusal, VideoApi } from './videoApi';

export const UNIFIED_PATH = '/v2/video/generations';

export const unifiedApi: VideoApi = {
	name: 'unified',
	label: 'the unified video API (/v2/video/generations)',
	createPath: UNIFIED_PATH,
	fetchPath: UNIFIED_PATH,
	longPoll: false,
	callbacks: false,

	refusal(request: VideoRequest): Refusal | undefined {
		const rules = MODELS[request.model];
		if (!rules?.unifiedName) {
			const replacement = rules?.replacedBy ? MODELS[rules.replacedBy].label : 'Ray 2';
			return {
				field: 'Model',
				problem: `"${rules?.label ?? request.model}" is retired and not served by the gateway's unified video API`,
				fix: `Set Model to ${replacement}, its replacement.`,
			};
		}
		if (request.callback_url !== undefined) {
			return {
				field: 'Callback URL',
				problem: 'cannot be sent to the gateway\'s unified video API, which has no callbacks',
				fix: 'Clear Callback URL: Luma Wait follows the generation without it.',
			};
		}
		return undefined;
	},

	createBody(request: VideoRequest): IDataObject {
		const rules = MODELS[request.model];
		const body: IDataObject = { model: rules.unifiedName, prompt: request.prompt };
		if (request.type !== undefined) body.type = request.type;
		body.aspect_ratio = request.aspect_ratio;
		if (request.resolution !== undefined) body.resolution = request.resolution;
		// "5s" in the Luma endpoint's vocabulary is the integer 5 here.
		if (request.duration !== undefined) body.duration = Number.parseInt(request.duration, 10);
		if (request.loop !== undefined) body.loop = request.loop;
		const { frame0, frame1 } = request.keyframes ?? {};
		if (rules.generationFrames) {
			if (request.keyframes !== undefined) body.keyframes = request.keyframes;
		} else {
			// Ray 3.2 takes its start and end images as URLs of their own.
			if (frame0?.type === 'image') body.image_url = frame0.url;
			if (frame1?.type === 'image') body.last_image_url = frame1.url;
		}
		if (request.video_url !== undefined) body.video_url = request.video_url;
		if (request.hdr !== undefined) body.hdr = request.hdr;
		if (request.exr_export !== undefined) body.exr_export = request.exr_export;
		return body;
	},

	fetchQuery: (id: string): IDataObject => ({ generation_id: id }),

	get pollEveryMs() {
		return timing.unifiedPollMs;
	},
};
