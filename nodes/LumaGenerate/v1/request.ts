/**
 * Version 1's request builder, unchanged since its release: the same checks, the same keys in
 * the same order, `loop: false` sent in the modes that loop (docs/API.md §2.1).
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { VideoRequest } from '../../shared/models';
import { InputChecker } from '../../shared/validation';
import { LOOP_MODES } from '../description';
import type { CreateRequest } from '../request';
import { paramsOf, readSources, unset } from '../request';
import { ASPECT_RATIOS, DURATIONS, MODEL_VALUES, MODES, RESOLUTIONS } from './description';

/**
 * The create request of item `itemIndex` of a version 1 node. Throws a NodeOperationError
 * naming the item and the field when the item cannot be sent.
 */
export function readCreateRequestV1(ctx: IExecuteFunctions, itemIndex: number): CreateRequest {
	const param = paramsOf(ctx, itemIndex);
	const check: InputChecker = new InputChecker(ctx.getNode(), itemIndex);
	const optional = (name: string) => {
		const value = param(name);
		return unset(value) ? undefined : value;
	};

	const mode = check.oneOf('Mode', param('mode', 'textToVideo'), MODES);
	const body: IDataObject = {
		prompt: check.text('Prompt', param('prompt'), { min: 3, max: 5000 }),
		aspect_ratio: check.oneOf('Aspect Ratio', param('aspectRatio', '16:9'), ASPECT_RATIOS),
		model: check.oneOf('Model', param('model', 'ray-2'), MODEL_VALUES),
	};

	const { frame0, frame1 } = readSources(check, param, mode);
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

	return { mode, body: body as VideoRequest };
}
