/**
 * The create schema of the unified video API (docs/API.md §4.1), per model, as the emulator
 * enforces it. Wording as the gateway's (see validate.ts). A boolean flag that is `false` asks for
 * nothing, so `loop`, `hdr` and `exr_export` are refused only when `true` in the wrong place.
 */
import type { Keyframe } from './validate';
import { enumError, isObject, isUri, validateKeyframes } from './validate';

export const UNIFIED_MODELS = ['luma/ray-2', 'luma/ray-flash-2', 'luma/ray-3.2'] as const;
export type UnifiedModel = (typeof UNIFIED_MODELS)[number];
export const RAY3_TYPES = ['video', 'video_edit', 'video_reframe'];

interface ModelSchema {
	fields: string[];
	aspectRatios: string[];
	resolutions: string[];
	durations: number[];
	defaultResolution: string;
}

const COMMON = ['model', 'prompt', 'aspect_ratio', 'resolution', 'duration', 'loop'];
const RAY2: ModelSchema = {
	fields: [...COMMON, 'keyframes'],
	aspectRatios: ['1:1', '16:9', '9:16', '4:3', '3:4', '21:9', '9:21'],
	resolutions: ['540p', '720p', '1080p', '4k'],
	durations: [5, 9],
	defaultResolution: '1080p',
};

export const UNIFIED_SCHEMAS: Record<UnifiedModel, ModelSchema> = {
	'luma/ray-2': RAY2,
	'luma/ray-flash-2': RAY2,
	'luma/ray-3.2': {
		fields: [...COMMON, 'image_url', 'last_image_url', 'video_url', 'type', 'hdr', 'exr_export'],
		aspectRatios: ['9:16', '3:4', '1:1', '4:3', '16:9', '21:9'],
		resolutions: ['360p', '540p', '720p', '1080p'],
		durations: [5, 10],
		defaultResolution: '720p',
	},
};

/** HDR is made only as a 5-second clip at one of these resolutions. */
export const HDR_RESOLUTIONS = ['720p', '1080p'];

export interface UnifiedCreateBody {
	model: UnifiedModel;
	prompt: string;
	aspect_ratio?: string;
	resolution?: string;
	duration?: number;
	loop?: boolean;
	keyframes?: { frame0?: Keyframe; frame1?: Keyframe };
	image_url?: string;
	last_image_url?: string;
	video_url?: string;
	type?: 'video' | 'video_edit' | 'video_reframe';
	hdr?: boolean;
	exr_export?: boolean;
}

/**
 * What a unified create costs, in tokens, as `meta.usage.credits_used` reports it. Deliberately
 * never the Luma endpoint's 500,000, so a test can tell a reported cost from the list price:
 * ray-2 400,000 per 5 s (9 s: 720,000); ray-flash-2 150,000 per 5 s (9 s: 270,000);
 * ray-3.2 800,000 per 5 s (10 s: 1,600,000), HDR doubles it, EXR export adds 200,000.
 */
export function unifiedPrice(body: UnifiedCreateBody): number {
	const perFiveSeconds = { 'luma/ray-2': 400_000, 'luma/ray-flash-2': 150_000, 'luma/ray-3.2': 800_000 }[body.model];
	const seconds = body.duration ?? 5;
	let price = Math.round((perFiveSeconds * seconds) / 5);
	if (body.hdr === true) price *= 2;
	if (body.exr_export === true) price += 200_000;
	return price;
}

function numberEnumError(path: string, allowed: number[], value: unknown): string {
	return `Invalid enum value. Expected ${allowed.join(' | ')}, received ${JSON.stringify(value)} at "${path}"`;
}

function typeOf(value: unknown): string {
	return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

/** Returns the first validation error of a unified create in the gateway's wording, or undefined. */
export function validateUnifiedCreate(body: unknown): string | undefined {
	if (!isObject(body)) return `Expected object, received ${typeOf(body)}`;
	if (body.model === undefined) return 'Required at "model"';
	if (!(UNIFIED_MODELS as readonly unknown[]).includes(body.model)) return enumError('model', [...UNIFIED_MODELS], body.model);
	const schema = UNIFIED_SCHEMAS[body.model as UnifiedModel];
	const unknown = Object.keys(body).filter((key) => !schema.fields.includes(key));
	if (unknown.length) return `Unrecognized key(s) in object: ${unknown.map((k) => `'${k}'`).join(', ')}`;

	const { prompt } = body;
	if (prompt === undefined) return 'Required at "prompt"';
	if (typeof prompt !== 'string') return `Expected string, received ${typeOf(prompt)} at "prompt"`;
	if (prompt.length < 3) return 'String must contain at least 3 character(s) at "prompt"';
	if (prompt.length > 5000) return 'String must contain at most 5000 character(s) at "prompt"';
	if (body.aspect_ratio !== undefined && !schema.aspectRatios.includes(body.aspect_ratio as string)) {
		return enumError('aspect_ratio', schema.aspectRatios, body.aspect_ratio);
	}
	if (body.resolution !== undefined && !schema.resolutions.includes(body.resolution as string)) {
		return enumError('resolution', schema.resolutions, body.resolution);
	}
	if (body.duration !== undefined) {
		if (typeof body.duration !== 'number') return `Expected number, received ${typeOf(body.duration)} at "duration"`;
		if (!schema.durations.includes(body.duration)) return numberEnumError('duration', schema.durations, body.duration);
	}
	for (const flag of ['loop', 'hdr', 'exr_export']) {
		if (body[flag] !== undefined && typeof body[flag] !== 'boolean') {
			return `Expected boolean, received ${typeOf(body[flag])} at "${flag}"`;
		}
	}

	if (body.model !== 'luma/ray-3.2') return validateKeyframes(body);

	for (const field of ['image_url', 'last_image_url', 'video_url']) {
		if (body[field] !== undefined && !isUri(body[field])) return `Invalid url at "${field}"`;
	}
	if (body.type !== undefined && !RAY3_TYPES.includes(body.type as string)) return enumError('type', RAY3_TYPES, body.type);
	const type = (body.type as string | undefined) ?? 'video';
	if (type !== 'video') {
		if (body.video_url === undefined) return `Required at "video_url": type ${type} needs the source video`;
		if (body.loop === true) return `loop is only supported when creating a new video (type video), not with type ${type}`;
	} else if (body.video_url !== undefined) {
		return 'video_url is only supported with type video_edit or video_reframe';
	}
	if (body.loop === true && body.last_image_url !== undefined) return 'loop is not supported with an end frame (last_image_url)';
	if (body.hdr === true) {
		const duration = (body.duration as number | undefined) ?? 5;
		const resolution = (body.resolution as string | undefined) ?? schema.defaultResolution;
		if (duration !== 5) return `hdr is only supported with a duration of 5, received ${duration}`;
		if (!HDR_RESOLUTIONS.includes(resolution)) {
			return `hdr is only supported at resolution ${HDR_RESOLUTIONS.map((r) => `'${r}'`).join(' | ')}, received '${resolution}'`;
		}
	}
	if (body.exr_export === true && body.hdr !== true) return 'exr_export is only supported with hdr: true';
	return undefined;
}
