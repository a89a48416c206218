/**
 * What both versions' request builders share (docs/API.md §2 and §4.1): the request they hand
 * the transport, and how they read what a mode starts from. Each version's own rules are in
 * `v1/request.ts` and `v2/request.ts`.
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import type { Keyframe, VideoMode, VideoRequest } from '../shared/models';
import type { InputChecker } from '../shared/validation';

/** One item's create: its mode and the body in the Luma endpoint's vocabulary (the transport turns it into either API's body). */
export interface CreateRequest {
	mode: VideoMode;
	body: VideoRequest;
}

/**
 * A version's request builder: the create request of item `itemIndex`. Throws a
 * NodeOperationError naming the item, the field and what is allowed when the item cannot be sent.
 */
export type RequestBuilder = (ctx: IExecuteFunctions, itemIndex: number) => CreateRequest;

/** One item's parameter by name, `fallback` when it is not set. */
export type Param = (name: string, fallback?: unknown) => unknown;

/** The parameter reader of item `itemIndex` (an unset field reads as ''). */
export function paramsOf(ctx: IExecuteFunctions, itemIndex: number): Param {
	return (name, fallback = '') => ctx.getNodeParameter(name, itemIndex, fallback);
}

/** The fields that name an earlier generation a mode starts from, by keyframe. */
export const GENERATION_FIELDS: Partial<Record<VideoMode, { frame0?: string; frame1?: string }>> = {
	extend: { frame0: 'Generation ID to Extend' },
	reverseExtend: { frame1: 'Generation ID to Lead Up To' },
	interpolate: { frame0: 'First Generation ID', frame1: 'Second Generation ID' },
};

/** Whether a field holds nothing: the server's default. */
export function unset(value: unknown): boolean {
	return value === '' || value === undefined || value === null;
}

/**
 * What a mode starts from, read and checked in the fields' order: its keyframes (images or
 * earlier generations) or, for an edit or a reframe, the source video's URL.
 */
export function readSources(check: InputChecker, param: Param, mode: VideoMode): { frame0?: Keyframe; frame1?: Keyframe; videoUrl?: string } {
	const image = (field: string, name: string): Keyframe | undefined => {
		const value = param(name);
		return unset(value) ? undefined : { type: 'image', url: check.url(field, value) };
	};
	const generation = (field: string, name: string): Keyframe => ({ type: 'generation', id: check.generationId(field, param(name)) });
	switch (mode) {
		case 'imageToVideo': {
			const frame0 = image('Start Image URL', 'startImageUrl');
			const frame1 = image('End Image URL', 'endImageUrl');
			if (!frame0 && !frame1) {
				check.fail('Start Image URL', 'is empty', 'Image to Video needs a start image URL, an end image URL, or both.');
			}
			return { frame0, frame1 };
		}
		case 'extend':
			return { frame0: generation(GENERATION_FIELDS.extend!.frame0!, 'generationId'), frame1: image('End Image URL', 'endImageUrl') };
		case 'reverseExtend':
			return { frame0: image('Start Image URL', 'startImageUrl'), frame1: generation(GENERATION_FIELDS.reverseExtend!.frame1!, 'generationId') };
		case 'interpolate':
			return {
				frame0: generation(GENERATION_FIELDS.interpolate!.frame0!, 'firstGenerationId'),
				frame1: generation(GENERATION_FIELDS.interpolate!.frame1!, 'secondGenerationId'),
			};
		case 'editVideo':
		case 'reframeVideo':
			return { videoUrl: check.url('Source Video URL', param('videoUrl')) };
		default:
			return {};
	}
}
