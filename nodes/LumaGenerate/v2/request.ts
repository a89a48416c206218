/**
 * Version 2's request builder: every model and mode, every rule of the model's schema checked
 * before anything is sent (docs/API.md §2.1 and §4.1).
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import type { ModelId, VideoMode, VideoRequest } from '../../shared/models';
import { HDR_DURATION, HDR_RESOLUTIONS, MODE_RULES, MODEL_IDS, MODELS, OFFERED_MODELS, takesCallback, VIDEO_MODES } from '../../shared/models';
import { InputChecker } from '../../shared/validation';
import type { CreateRequest } from '../request';
import { paramsOf, readSources, unset } from '../request';

function list(values: readonly string[]): string {
	return values.length <= 2 ? values.join(' or ') : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

const secondsOf = (duration: string) => Number.parseInt(duration, 10);

/** The model of a version 2 node: offered, and able to do `mode`. */
function readModel(check: InputChecker, value: unknown, mode: VideoMode): ModelId {
	const { label, models } = MODE_RULES[mode];
	if (typeof value !== 'string' || !(MODEL_IDS as readonly string[]).includes(value)) return check.oneOf('Model', value, models);
	const model = value as ModelId;
	const { replacedBy } = MODELS[model];
	if (replacedBy) {
		check.fail(
			'Model',
			`"${model}" (${MODELS[model].label}) is retired: ${MODELS[replacedBy].label} replaces it`,
			`Set Model to ${MODELS[replacedBy].label} (${replacedBy}). The gateway no longer serves ${MODELS[model].label}.`,
		);
	}
	if (!models.includes(model)) {
		check.fail(
			'Model',
			`${MODELS[model].label} cannot be used for ${label}`,
			`${label} works with ${list(models.map((id) => `${MODELS[id].label} (${id})`))}.` +
				(MODELS[model].ray3Features ? ' Ray 3.2 starts from images (Image to Video), not from earlier generations.' : ''),
		);
	}
	return model;
}

/**
 * One of the model's values for an enum field (its aspect ratios, resolutions or durations). A
 * value that another model has is refused as "not available on" this one.
 */
function modelValue(
	check: InputChecker,
	field: string,
	value: unknown,
	model: ModelId,
	key: 'aspectRatios' | 'resolutions' | 'durations',
	optional: boolean,
): string {
	const allowed = MODELS[model][key];
	if (typeof value === 'string' && allowed.includes(value)) return value;
	if (unset(value)) return check.fail(field, 'is empty', `Set ${field} to one of: ${allowed.join(', ')}.`);
	const { label } = MODELS[model];
	const orDefault = optional ? `, or leave ${field} at Server Default` : '';
	// The unified API's docs write durations as plain numbers; this node writes "5s".
	if (key === 'durations' && (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value.trim())))) {
		const written = `${Number(value)}s`;
		return check.fail(
			field,
			`must be written in seconds like "5s", not ${JSON.stringify(value)}`,
			`${allowed.includes(written) ? `Did you mean "${written}"? ` : ''}${label} takes ${list(allowed)}${orDefault}.`,
		);
	}
	const elsewhere = typeof value === 'string' && OFFERED_MODELS.some((id) => MODELS[id][key].includes(value));
	if (!elsewhere) return check.oneOf(field, value, allowed);
	const shown = key === 'durations' ? `${secondsOf(value as string)} seconds` : `"${value as string}"`;
	return check.fail(
		field,
		`${shown} is not available on ${label}`,
		`${label} takes ${list(allowed)}${orDefault}.`,
	);
}

/** A boolean parameter: expressions can hand over anything. */
function flag(check: InputChecker, field: string, value: unknown): boolean {
	if (typeof value !== 'boolean') check.fail(field, 'must be true or false', `Turn ${field} on or off.`);
	return value as boolean;
}

/**
 * The create request of item `itemIndex` of a version 2 node. Throws a NodeOperationError naming
 * the item, the field and what is allowed when the item cannot be sent.
 */
export function readCreateRequestV2(ctx: IExecuteFunctions, itemIndex: number): CreateRequest {
	const param = paramsOf(ctx, itemIndex);
	const check: InputChecker = new InputChecker(ctx.getNode(), itemIndex);
	const optional = (name: string) => {
		const value = param(name);
		return unset(value) ? undefined : value;
	};

	const mode = check.oneOf('Mode', param('mode', 'textToVideo'), VIDEO_MODES);
	const rules = MODE_RULES[mode];
	const model = readModel(check, param('model', rules.models[0]), mode);
	const facts = MODELS[model];
	const body: VideoRequest = {
		prompt: check.text('Prompt', param('prompt'), { min: 3, max: 5000 }),
		aspect_ratio: modelValue(check, 'Aspect Ratio', param('aspectRatio', '16:9'), model, 'aspectRatios', false),
		model,
	};

	const { frame0, frame1, videoUrl } = readSources(check, param, mode);
	// Ray 3.2's images travel as keyframes too; the unified API's module sends them as image URLs.
	if (frame0 || frame1) {
		body.keyframes = { ...(frame0 ? { frame0 } : {}), ...(frame1 ? { frame1 } : {}) };
	}

	// Only a loop that is on is sent: the server's default is no loop.
	if (flag(check, 'Loop', param('loop', false))) {
		if (!rules.loop) {
			check.fail('Loop', `cannot be used with ${rules.label}`, `Turn Loop off: ${facts.label} loops only in ${list(loopModes(model))}.`);
		}
		if (frame1) {
			check.fail('Loop', 'cannot be used with an end image', 'Turn Loop off, or clear End Image URL: the API refuses a loop that ends on a set frame.');
		}
		body.loop = true;
	}

	const resolutionValue = optional('resolution');
	const resolution = resolutionValue === undefined ? undefined : modelValue(check, 'Resolution', resolutionValue, model, 'resolutions', true);
	const durationValue = optional('duration');
	let duration = durationValue === undefined ? undefined : modelValue(check, 'Duration', durationValue, model, 'durations', true);

	const hdr = flag(check, 'HDR', param('hdr', false));
	const exrExport = flag(check, 'EXR Export', param('exrExport', false));
	for (const [field, on] of [['HDR', hdr], ['EXR Export', exrExport]] as const) {
		if (on && !facts.ray3Features) {
			check.fail(field, `is not available on ${facts.label}`, `${field} is a Ray 3.2 option: set Model to Ray 3.2, or turn ${field} off.`);
		}
	}
	if (hdr) {
		const rule = `Ray 3.2 makes HDR only as ${secondsOf(HDR_DURATION)}-second clips at ${list(HDR_RESOLUTIONS)}`;
		if (duration !== undefined && duration !== HDR_DURATION) {
			check.fail(
				'HDR',
				`needs Duration ${secondsOf(HDR_DURATION)} seconds on Ray 3.2, not ${secondsOf(duration)}`,
				`${rule}: set Duration to ${secondsOf(HDR_DURATION)} Seconds (or Server Default), or turn HDR off.`,
			);
		}
		if (resolution !== undefined && !(HDR_RESOLUTIONS as readonly string[]).includes(resolution)) {
			check.fail(
				'HDR',
				`needs Resolution ${list(HDR_RESOLUTIONS)} on Ray 3.2, not ${resolution}`,
				`${rule}: set Resolution to ${list(HDR_RESOLUTIONS)} (or Server Default, 720p), or turn HDR off.`,
			);
		}
		// The one length HDR is made in, said out loud rather than left to the server's default.
		duration = HDR_DURATION;
	}
	if (exrExport && !hdr) {
		check.fail('EXR Export', 'needs HDR', `Turn HDR on (${secondsOf(HDR_DURATION)}-second clips at ${list(HDR_RESOLUTIONS)}), or turn EXR Export off: EXR frames are made only from an HDR video.`);
	}
	if (resolution !== undefined) body.resolution = resolution;
	if (duration !== undefined) body.duration = duration;

	const callbackUrl = optional('callbackUrl');
	if (callbackUrl !== undefined) {
		if (!takesCallback(model)) {
			check.fail(
				'Callback URL',
				`cannot be used with ${facts.label}`,
				`${facts.label} runs on the gateway's unified video API, which sends no callbacks: clear Callback URL (Luma Wait follows the generation without one).`,
			);
		}
		body.callback_url = check.url('Callback URL', callbackUrl);
	}

	if (rules.type && videoUrl !== undefined) {
		body.type = rules.type;
		body.video_url = videoUrl;
	}
	if (hdr) body.hdr = true;
	if (exrExport) body.exr_export = true;

	return { mode, body };
}

/** The modes in which `model` can loop, as the node names them. */
function loopModes(model: ModelId): string[] {
	return VIDEO_MODES.filter((mode) => MODE_RULES[mode].loop && MODE_RULES[mode].models.includes(model)).map((mode) => MODE_RULES[mode].label);
}
