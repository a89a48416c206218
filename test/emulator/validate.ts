/** The create schema of docs/API.md §2, as the emulator enforces it. */

export const ASPECT_RATIOS = ['1:1', '16:9', '9:16', '4:3', '3:4', '21:9', '9:21'];
export const MODELS = ['ray-2', 'ray-flash-2', 'ray-1-6'];
export const RESOLUTIONS = ['540p', '720p', '1080p', '4k'];
export const DURATIONS = ['5s', '9s'];

const FIELDS = ['prompt', 'aspect_ratio', 'loop', 'keyframes', 'model', 'resolution', 'duration', 'callback_url'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface Keyframe {
	type: 'image' | 'generation';
	url?: string;
	id?: string;
}

export interface CreateBody {
	prompt: string;
	aspect_ratio?: string;
	loop?: boolean;
	keyframes?: { frame0?: Keyframe; frame1?: Keyframe };
	model?: string;
	resolution?: string;
	duration?: string;
	callback_url?: string;
}

export function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isUri(value: unknown): boolean {
	if (typeof value !== 'string') return false;
	try {
		const url = new URL(value);
		return url.protocol === 'http:' || url.protocol === 'https:';
	} catch {
		return false;
	}
}

export function enumError(path: string, allowed: string[], value: unknown): string {
	return `Invalid enum value. Expected ${allowed.map((v) => `'${v}'`).join(' | ')}, received '${String(value)}' at "${path}"`;
}

/** Returns the first validation error in the gateway's wording, or undefined for a valid body. */
export function validateCreate(body: unknown): string | undefined {
	if (!isObject(body)) return 'Expected object, received ' + (Array.isArray(body) ? 'array' : typeof body);
	const unknown = Object.keys(body).filter((key) => !FIELDS.includes(key));
	if (unknown.length) return `Unrecognized key(s) in object: ${unknown.map((k) => `'${k}'`).join(', ')}`;
	const { prompt } = body;
	if (prompt === undefined) return 'Required at "prompt"';
	if (typeof prompt !== 'string') return `Expected string, received ${typeof prompt} at "prompt"`;
	if (prompt.length < 3) return 'String must contain at least 3 character(s) at "prompt"';
	if (prompt.length > 5000) return 'String must contain at most 5000 character(s) at "prompt"';
	if (body.aspect_ratio !== undefined && !ASPECT_RATIOS.includes(body.aspect_ratio as string)) {
		return enumError('aspect_ratio', ASPECT_RATIOS, body.aspect_ratio);
	}
	if (body.loop !== undefined && typeof body.loop !== 'boolean') return 'Expected boolean at "loop"';
	if (body.model !== undefined && !MODELS.includes(body.model as string)) return enumError('model', MODELS, body.model);
	if (body.resolution !== undefined && !RESOLUTIONS.includes(body.resolution as string)) {
		return enumError('resolution', RESOLUTIONS, body.resolution);
	}
	if (body.duration !== undefined && !DURATIONS.includes(body.duration as string)) {
		return enumError('duration', DURATIONS, body.duration);
	}
	if (body.callback_url !== undefined && !isUri(body.callback_url)) return 'Invalid url at "callback_url"';
	return validateKeyframes(body);
}

/**
 * The `keyframes` field and the loop rule that goes with it (docs/API.md §2; the unified API's
 * ray-2 and ray-flash-2 take the same). Returns the first error, or undefined.
 */
export function validateKeyframes(body: Record<string, unknown>): string | undefined {
	if (body.keyframes === undefined) return undefined;
	if (!isObject(body.keyframes)) return 'Expected object at "keyframes"';
	const extra = Object.keys(body.keyframes).filter((key) => key !== 'frame0' && key !== 'frame1');
	if (extra.length) return `Unrecognized key(s) in object: ${extra.map((k) => `'${k}'`).join(', ')} at "keyframes"`;
	for (const name of ['frame0', 'frame1'] as const) {
		const frame = body.keyframes[name];
		if (frame === undefined) continue;
		const path = `keyframes.${name}`;
		if (!isObject(frame)) return `Expected object at "${path}"`;
		if (frame.type === 'image') {
			const keys = Object.keys(frame).filter((k) => k !== 'type' && k !== 'url');
			if (keys.length) return `Unrecognized key(s) in object: '${keys[0]}' at "${path}"`;
			if (!isUri(frame.url)) return `Invalid url at "${path}.url"`;
		} else if (frame.type === 'generation') {
			const keys = Object.keys(frame).filter((k) => k !== 'type' && k !== 'id');
			if (keys.length) return `Unrecognized key(s) in object: '${keys[0]}' at "${path}"`;
			if (typeof frame.id !== 'string' || !UUID.test(frame.id)) return `Invalid uuid at "${path}.id"`;
		} else {
			return `Invalid discriminator value. Expected 'image' | 'generation' at "${path}.type"`;
		}
	}
	const { frame0, frame1 } = body.keyframes as { frame0?: Keyframe; frame1?: Keyframe };
	if (body.loop === true && frame1) {
		return frame0?.type === 'generation' && frame1.type === 'generation'
			? 'loop is not supported for interpolation'
			: frame1.type === 'generation'
				? 'loop is not supported for a reverse extend'
				: 'loop is not supported with an end frame (frame1)';
	}
	return undefined;
}
