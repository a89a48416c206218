/** Turns one item's parameters into a create body (API.md section 1), checking every field. */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { InputChecker } from '../shared/validation';
import type { Mode } from './description';
import { ASPECT_RATIOS, DURATIONS, LOOP_MODES, MODELS, MODES, RESOLUTIONS } from './description';

type Keyframe = { type: 'image'; url: string } | { type: 'generation'; id: string };

export interface CreateRequest {
	mode: Mode;
	body: IDataObject;
}

export function readCreateRequest(ctx: IExecuteFunctions, itemIndex: number): CreateRequest {
	const check = new InputChecker(ctx.getNode(), itemIndex);
	const param = (name: string, fallback: unknown = '') => ctx.getNodeParameter(name, itemIndex, fallback);
	const optional = (name: string) => {
		const value = param(name);
		return value === '' || value === undefined || value === null ? undefined : value;
	};

	const mode = check.oneOf('Mode', param('mode', 'textToVideo'), MODES);
	const body: IDataObject = {
		prompt: check.text('Prompt', param('prompt'), { min: 3, max: 5000 }),
		aspect_ratio: check.oneOf('Aspect Ratio', param('aspectRatio', '16:9'), ASPECT_RATIOS),
		model: check.oneOf('Model', param('model', 'ray-2'), MODELS),
	};

	const image = (field: string, name: string): Keyframe | undefined => {
		const value = optional(name);
		return value === undefined ? undefined : { type: 'image', url: check.url(field, value) };
	};
	const generation = (field: string, name: string): Keyframe => ({
		type: 'generation',
		id: check.generationId(field, param(name)),
	});

	let frame0: Keyframe | undefined;
	let frame1: Keyframe | undefined;
	switch (mode) {
		case 'imageToVideo':
			frame0 = image('Start Image URL', 'startImageUrl');
			frame1 = image('End Image URL', 'endImageUrl');
			if (!frame0 && !frame1) {
				check.fail('Start Image URL', 'is empty', 'Image to Video needs a start image URL, an end image URL, or both.');
			}
			break;
		case 'extend':
			frame0 = generation('Generation ID to Extend', 'generationId');
			frame1 = image('End Image URL', 'endImageUrl');
			break;
		case 'reverseExtend':
			frame0 = image('Start Image URL', 'startImageUrl');
			frame1 = generation('Generation ID to Lead Up To', 'generationId');
			break;
		case 'interpolate':
			frame0 = generation('First Generation ID', 'firstGenerationId');
			frame1 = generation('Second Generation ID', 'secondGenerationId');
			break;
	}
	if (frame0 || frame1) {
		body.keyframes = { ...(frame0 ? { frame0 } : {}), ...(frame1 ? { frame1 } : {}) };
	}

	if (LOOP_MODES.includes(mode)) {
		const loop = param('loop', false);
		if (typeof loop !== 'boolean') check.fail('Loop', 'must be true or false', 'Turn Loop on or off.');
		if (loop && frame1) {
			check.fail('Loop', 'cannot be used with an end image', 'Turn Loop off, or clear End Image URL: the API refuses a loop that ends on a set frame.');
		}
		body.loop = loop;
	}

	const resolution = optional('resolution');
	if (resolution !== undefined) body.resolution = check.oneOf('Resolution', resolution, RESOLUTIONS);
	const duration = optional('duration');
	if (duration !== undefined) body.duration = check.oneOf('Duration', duration, DURATIONS);
	const callbackUrl = optional('callbackUrl');
	if (callbackUrl !== undefined) body.callback_url = check.url('Callback URL', callbackUrl);

	return { mode, body };
}
