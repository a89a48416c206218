/**
 * The Luma models and what each accepts (docs/API.md §2.1 and §4.1), and the one request shape
 * every part of the package speaks: a create in the Luma endpoint's vocabulary, plus Ray 3.2's
 * fields. The transport turns it into the body of whichever API it is sent to.
 */
import type { IDataObject } from 'n8n-workflow';

/** The gateway's two APIs (docs/API.md §1.1): the Luma endpoint (§2, §3) and the unified video API (§4). */
export type ApiName = 'luma' | 'unified';

export const MODEL_IDS = ['ray-2', 'ray-flash-2', 'ray-3.2', 'ray-1-6'] as const;
export type ModelId = (typeof MODEL_IDS)[number];

export type Keyframe = { type: 'image'; url: string } | { type: 'generation'; id: string };

export interface ModelRules {
	/** The name people read, e.g. "Ray 3.2". */
	label: string;
	/** The model's name on the unified API (undefined: not served there). */
	unifiedName?: string;
	/** The APIs that serve it. */
	apis: readonly ApiName[];
	aspectRatios: readonly string[];
	resolutions: readonly string[];
	/** Durations in the Luma endpoint's vocabulary ("5s"); the unified API gets the number of seconds. */
	durations: readonly string[];
	/** Keyframes that are earlier generations: extend, reverse extend, interpolate. */
	generationFrames: boolean;
	/** Video edit and reframe of a source video, HDR and EXR export. */
	ray3Features: boolean;
	/** The model to use instead, for a retired model. */
	replacedBy?: ModelId;
}

/** What Ray 2, Ray Flash 2 and the retired Ray 1.6 accept alike (docs/API.md §2.1). */
const RAY2_FAMILY = {
	aspectRatios: ['16:9', '1:1', '9:16', '4:3', '3:4', '21:9', '9:21'],
	resolutions: ['540p', '720p', '1080p', '4k'],
	durations: ['5s', '9s'],
	generationFrames: true,
	ray3Features: false,
} as const;

export const MODELS: Record<ModelId, ModelRules> = {
	'ray-2': { label: 'Ray 2', unifiedName: 'luma/ray-2', apis: ['luma', 'unified'], ...RAY2_FAMILY },
	'ray-flash-2': { label: 'Ray Flash 2', unifiedName: 'luma/ray-flash-2', apis: ['luma', 'unified'], ...RAY2_FAMILY },
	'ray-3.2': {
		label: 'Ray 3.2',
		unifiedName: 'luma/ray-3.2',
		apis: ['unified'],
		aspectRatios: ['16:9', '1:1', '9:16', '4:3', '3:4', '21:9'],
		resolutions: ['360p', '540p', '720p', '1080p'],
		durations: ['5s', '10s'],
		generationFrames: false,
		ray3Features: true,
	},
	'ray-1-6': { label: 'Ray 1.6', apis: ['luma'], ...RAY2_FAMILY, replacedBy: 'ray-2' },
};

/** The models offered for new work: every model but the retired ones. */
export const OFFERED_MODELS: readonly ModelId[] = MODEL_IDS.filter((id) => MODELS[id].replacedBy === undefined);

/** What Luma Generate (version 2) makes: its Mode values. */
export const VIDEO_MODES = ['textToVideo', 'imageToVideo', 'extend', 'reverseExtend', 'interpolate', 'editVideo', 'reframeVideo'] as const;
export type VideoMode = (typeof VIDEO_MODES)[number];

export interface ModeRules {
	/** The name people read, e.g. "Edit Video". */
	label: string;
	/** The offered models that make it; the first is the default. */
	models: readonly ModelId[];
	/**
	 * Whether the video may loop: only a new video (not an edit or a reframe), never one that
	 * leads into a set frame (reverse extend, interpolate). An end image rules it out in any mode.
	 */
	loop: boolean;
	/** Ray 3.2's `type` for a change to a source video (`video_url`); unset for a new video. */
	type?: 'video_edit' | 'video_reframe';
}

/** Offered models that have `feature` (keyframes of earlier generations, or Ray 3.2's features). */
function modelsWith(feature?: 'generationFrames' | 'ray3Features'): ModelId[] {
	return OFFERED_MODELS.filter((id) => feature === undefined || MODELS[id][feature]);
}

export const MODE_RULES: Record<VideoMode, ModeRules> = {
	textToVideo: { label: 'Text to Video', models: modelsWith(), loop: true },
	imageToVideo: { label: 'Image to Video', models: modelsWith(), loop: true },
	extend: { label: 'Extend', models: modelsWith('generationFrames'), loop: true },
	reverseExtend: { label: 'Reverse Extend', models: modelsWith('generationFrames'), loop: false },
	interpolate: { label: 'Interpolate', models: modelsWith('generationFrames'), loop: false },
	editVideo: { label: 'Edit Video', models: modelsWith('ray3Features'), loop: false, type: 'video_edit' },
	reframeVideo: { label: 'Reframe Video', models: modelsWith('ray3Features'), loop: false, type: 'video_reframe' },
};

/** Whether a model can be sent a `callback_url`: only the Luma endpoint takes one (docs/API.md §4.1). */
export function takesCallback(model: ModelId): boolean {
	return MODELS[model].apis.includes('luma');
}

/** HDR is made only as a 5-second clip at one of these resolutions (and EXR export only with HDR). */
export const HDR_RESOLUTIONS = ['720p', '1080p'] as const;
export const HDR_DURATION = '5s';

/**
 * A create as the nodes build it: the Luma endpoint's body (docs/API.md §2.1), keys in the order
 * it is sent, plus Ray 3.2's fields (§4.1), which only the unified API accepts. The luma module
 * sends it as it is, byte for byte; the unified module translates it (see transport/unified.ts).
 * The spend ledger compares these, so a retry matches whichever API the first try went to.
 */
export interface VideoRequest extends IDataObject {
	prompt: string;
	aspect_ratio: string;
	model: ModelId;
	keyframes?: { frame0?: Keyframe; frame1?: Keyframe };
	loop?: boolean;
	resolution?: string;
	duration?: string;
	callback_url?: string;
	/** Ray 3.2: an edit or a reframe of `video_url` (unset: a new video). */
	type?: 'video_edit' | 'video_reframe';
	video_url?: string;
	hdr?: boolean;
	exr_export?: boolean;
}

/** The list price of one create on the Luma endpoint (docs/API.md §8), used when the server reports no cost. */
export const LIST_PRICE_TOKENS = 500_000;
