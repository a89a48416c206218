/**
 * Luma Generate's parameters, for both node versions. Version 1 is frozen as it was released
 * (saved workflows load and send the same bytes); version 2 adds Ray 3.2 and its modes. n8n
 * shows a property only for the versions in its `'@version'` display option; a property without
 * one belongs to both. `'@version'` comes first in every `show`, because n8n stops checking a
 * `show` at the first field that holds an expression.
 */
import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import type { ModelId, VideoMode } from '../shared/models';
import { MODE_RULES, MODELS, VIDEO_MODES } from '../shared/models';
import { canvasAndTool, fromModel, toolDescriptionProperty } from '../shared/tool';
import { TOOL_DESCRIPTION } from './tool';

// ---- version 1 (frozen: these lists are what version 1 accepts) ----

export const MODES = ['textToVideo', 'imageToVideo', 'extend', 'reverseExtend', 'interpolate'] as const;
export type Mode = (typeof MODES)[number];

export const ASPECT_RATIOS = ['16:9', '1:1', '9:16', '4:3', '3:4', '21:9', '9:21'] as const;
export const MODEL_VALUES = ['ray-2', 'ray-flash-2', 'ray-1-6'] as const;
export const RESOLUTIONS = ['540p', '720p', '1080p', '4k'] as const;
export const DURATIONS = ['5s', '9s'] as const;

/** Modes where the API accepts `loop` at all (never with an end frame). Both versions. */
export const LOOP_MODES: Mode[] = ['textToVideo', 'imageToVideo', 'extend'];

const show = (...modes: VideoMode[]) => ({ show: { mode: modes } });
const v1 = { show: { '@version': [1] } };

/** Shown on version 2 only; `rest` narrows it further (mode before model: see the file comment). */
function v2(rest: { mode?: VideoMode[]; model?: ModelId[]; hdr?: boolean[] } = {}) {
	return { show: { '@version': [2], ...rest } };
}

/** A parameter the model fills in when the node runs as a tool. */
function withToolDefault(property: INodeProperties, key: string, forModel: string): INodeProperties[] {
	return canvasAndTool(property, { default: fromModel(key, forModel) });
}

const MODE_OPTIONS: Record<VideoMode, INodePropertyOptions> = {
	editVideo: {
		name: 'Edit Video',
		value: 'editVideo',
		description: 'Change a video as the prompt says (Ray 3.2)',
		action: 'Edit a video',
	},
	extend: { name: 'Extend', value: 'extend', description: 'Continue after an earlier generation', action: 'Extend a video' },
	imageToVideo: {
		name: 'Image to Video',
		value: 'imageToVideo',
		description: 'A video that starts on an image, ends on one, or both',
		action: 'Create a video from images',
	},
	interpolate: {
		name: 'Interpolate',
		value: 'interpolate',
		description: 'A video that bridges two earlier generations',
		action: 'Interpolate between two videos',
	},
	reframeVideo: {
		name: 'Reframe Video',
		value: 'reframeVideo',
		description: 'Bring a video to another aspect ratio (Ray 3.2)',
		action: 'Reframe a video',
	},
	reverseExtend: {
		name: 'Reverse Extend',
		value: 'reverseExtend',
		description: 'A video that leads up to an earlier generation',
		action: 'Reverse extend a video',
	},
	textToVideo: { name: 'Text to Video', value: 'textToVideo', description: 'A video from a prompt', action: 'Create a video from text' },
};

/** How the node's subtitle names each mode. */
export const MODE_NAMES = Object.fromEntries(VIDEO_MODES.map((mode) => [mode, MODE_RULES[mode].label])) as Record<VideoMode, string>;

const modeOptions = (...modes: VideoMode[]) => modes.map((mode) => MODE_OPTIONS[mode]);

/** Version 2's model choices, each with what it can do. */
const MODEL_OPTIONS: Record<'ray-2' | 'ray-flash-2' | 'ray-3.2', INodePropertyOptions> = {
	'ray-2': { name: 'Ray 2', value: 'ray-2', description: 'Best quality of the Ray 2 family; extend and interpolate by generation ID' },
	'ray-flash-2': { name: 'Ray Flash 2', value: 'ray-flash-2', description: 'Faster and cheaper than Ray 2, same features' },
	'ray-3.2': {
		name: 'Ray 3.2',
		value: 'ray-3.2',
		description:
			"Newest: HDR, EXR export, 10-second clips, Edit Video and Reframe Video. Only on the gateway's unified video API (/v2/video/generations).",
	},
};

const RAY3: ModelId[] = ['ray-3.2'];

/**
 * A version 2 field of Ray 2 and Ray Flash 2: shown in their modes unless the model is Ray 3.2.
 * Written as `hide` and with the modes, so that the editor, which resets a value its newly shown
 * field does not offer, also does so when a mode change brings Ray 3.2's model back to Ray 2.
 */
const RAY2_FIELD = {
	show: { '@version': [2], mode: VIDEO_MODES.filter((mode) => MODE_RULES[mode].models.includes('ray-2')) },
	hide: { model: RAY3 },
};

function serverDefaultAnd(values: readonly string[], name: (value: string) => string = (value) => value) {
	return [{ name: 'Server Default', value: '' }, ...values.map((value) => ({ name: name(value), value }))];
}

const seconds = (value: string) => `${Number.parseInt(value, 10)} Seconds`;

export const generateProperties: INodeProperties[] = [
	toolDescriptionProperty(TOOL_DESCRIPTION),
	{
		displayName: 'Mode',
		name: 'mode',
		type: 'options',
		noDataExpression: true,
		default: 'textToVideo',
		options: modeOptions('extend', 'imageToVideo', 'interpolate', 'reverseExtend', 'textToVideo'),
		displayOptions: v1,
	},
	{
		displayName: 'Mode',
		name: 'mode',
		type: 'options',
		noDataExpression: true,
		default: 'textToVideo',
		options: modeOptions('editVideo', 'extend', 'imageToVideo', 'interpolate', 'reframeVideo', 'reverseExtend', 'textToVideo'),
		displayOptions: v2(),
	},
	// Version 2: only the models that can do the mode are offered.
	{
		displayName: 'Model',
		name: 'model',
		type: 'options',
		default: 'ray-2',
		description: 'The Luma model that makes the video',
		options: [MODEL_OPTIONS['ray-2'], MODEL_OPTIONS['ray-flash-2'], MODEL_OPTIONS['ray-3.2']],
		displayOptions: v2({ mode: ['textToVideo', 'imageToVideo'] }),
	},
	{
		displayName: 'Model',
		name: 'model',
		type: 'options',
		default: 'ray-2',
		description: 'The Luma model that makes the video. Extending and interpolating earlier generations is done by Ray 2 and Ray Flash 2.',
		options: [MODEL_OPTIONS['ray-2'], MODEL_OPTIONS['ray-flash-2']],
		displayOptions: v2({ mode: ['extend', 'reverseExtend', 'interpolate'] }),
	},
	{
		displayName: 'Model',
		name: 'model',
		type: 'options',
		default: 'ray-3.2',
		description: "Edit Video and Reframe Video are done by Ray 3.2, on the gateway's unified video API",
		options: [MODEL_OPTIONS['ray-3.2']],
		displayOptions: v2({ mode: ['editVideo', 'reframeVideo'] }),
	},
	...withToolDefault(
		{
			displayName: 'Prompt',
			name: 'prompt',
			type: 'string',
			typeOptions: { rows: 3 },
			required: true,
			default: '',
			placeholder: 'e.g. A jellyfish drifting through a neon-lit ocean, cinematic',
			description: 'What the video shows: 3 to 5,000 characters',
		},
		'prompt',
		'What the video shows, as one vivid description of the scene, subject, motion and camera: 3 to 5000 characters',
	),
	...withToolDefault(
		{
			displayName: 'Source Video URL',
			name: 'videoUrl',
			type: 'string',
			required: true,
			default: '',
			placeholder: 'https://example.com/source.mp4',
			description: 'Public http(s) URL of the video to change, e.g. the video URL Luma Wait output',
			displayOptions: v2({ mode: ['editVideo', 'reframeVideo'] }),
		},
		'videoUrl',
		'The public http(s) URL of the video to change',
	),
	{
		displayName: 'Start Image URL',
		name: 'startImageUrl',
		type: 'string',
		default: '',
		placeholder: 'https://example.com/first-frame.jpg',
		description: 'Public URL of the image the video starts on. Optional if an end image is set.',
		displayOptions: show('imageToVideo'),
	},
	{
		displayName: 'End Image URL',
		name: 'endImageUrl',
		type: 'string',
		default: '',
		placeholder: 'https://example.com/last-frame.jpg',
		description: 'Public URL of the image the video ends on (optional)',
		displayOptions: show('imageToVideo', 'extend'),
	},
	...withToolDefault(
		{
			displayName: 'Generation ID to Extend',
			name: 'generationId',
			type: 'string',
			required: true,
			default: '={{ $json.id }}',
			description: 'ID of a completed generation to continue after',
			displayOptions: show('extend'),
		},
		'generationId',
		'The id (a UUID) of a completed generation to continue, as returned by Luma Generate',
	),
	...withToolDefault(
		{
			displayName: 'Generation ID to Lead Up To',
			name: 'generationId',
			type: 'string',
			required: true,
			default: '={{ $json.id }}',
			description: 'ID of a completed generation that the new video leads into',
			displayOptions: show('reverseExtend'),
		},
		'generationId',
		'The id (a UUID) of a completed generation the new video leads into',
	),
	{
		displayName: 'Start Image URL',
		name: 'startImageUrl',
		type: 'string',
		default: '',
		placeholder: 'https://example.com/first-frame.jpg',
		description: 'Public URL of an image the video starts on (optional)',
		displayOptions: show('reverseExtend'),
	},
	...withToolDefault(
		{
			displayName: 'First Generation ID',
			name: 'firstGenerationId',
			type: 'string',
			required: true,
			default: '',
			description: 'ID of the completed generation the video starts from',
			displayOptions: show('interpolate'),
		},
		'firstGenerationId',
		'The id (a UUID) of the completed generation the video starts from',
	),
	...withToolDefault(
		{
			displayName: 'Second Generation ID',
			name: 'secondGenerationId',
			type: 'string',
			required: true,
			default: '',
			description: 'ID of the completed generation the video ends on',
			displayOptions: show('interpolate'),
		},
		'secondGenerationId',
		'The id (a UUID) of the completed generation the video ends on',
	),
	{
		displayName: 'Aspect Ratio',
		name: 'aspectRatio',
		type: 'options',
		default: '16:9',
		options: ASPECT_RATIOS.map((ratio) => ({ name: ratio, value: ratio })),
		displayOptions: v1,
	},
	{
		displayName: 'Aspect Ratio',
		name: 'aspectRatio',
		type: 'options',
		default: '16:9',
		description: 'Shape of the video, width to height',
		options: MODELS['ray-2'].aspectRatios.map((ratio) => ({ name: ratio, value: ratio })),
		displayOptions: RAY2_FIELD,
	},
	{
		displayName: 'Aspect Ratio',
		name: 'aspectRatio',
		type: 'options',
		default: '16:9',
		description: 'Shape of the video, width to height (Ray 3.2 has no 9:21)',
		options: MODELS['ray-3.2'].aspectRatios.map((ratio) => ({ name: ratio, value: ratio })),
		displayOptions: v2({ mode: ['textToVideo', 'imageToVideo', 'editVideo'], model: RAY3 }),
	},
	{
		displayName: 'Aspect Ratio',
		name: 'aspectRatio',
		type: 'options',
		default: '16:9',
		description: 'The shape to bring the video to, width to height (Ray 3.2 has no 9:21)',
		options: MODELS['ray-3.2'].aspectRatios.map((ratio) => ({ name: ratio, value: ratio })),
		displayOptions: v2({ mode: ['reframeVideo'] }),
	},
	{
		displayName: 'Loop',
		name: 'loop',
		type: 'boolean',
		default: false,
		description: 'Whether the video should loop seamlessly. Not allowed together with an end image.',
		displayOptions: show(...LOOP_MODES),
	},
	{
		displayName: 'Model',
		name: 'model',
		type: 'options',
		default: 'ray-2',
		options: [
			{ name: 'Ray 2', value: 'ray-2', description: 'Best quality (default)' },
			{ name: 'Ray Flash 2', value: 'ray-flash-2', description: 'Faster and cheaper upstream' },
			{ name: 'Ray 1.6 (Retired)', value: 'ray-1-6', description: 'Retired by the gateway: use Ray 2, its replacement' },
		],
		displayOptions: v1,
	},
	{
		displayName: 'Resolution',
		name: 'resolution',
		type: 'options',
		default: '',
		options: serverDefaultAnd(RESOLUTIONS),
		displayOptions: v1,
	},
	{
		displayName: 'Resolution',
		name: 'resolution',
		type: 'options',
		default: '',
		description: "Height of the video. Server Default is the server's choice (1080p on the unified video API).",
		options: serverDefaultAnd(MODELS['ray-2'].resolutions),
		displayOptions: RAY2_FIELD,
	},
	{
		displayName: 'Resolution',
		name: 'resolution',
		type: 'options',
		default: '',
		description: 'Height of the video. Server Default is 720p. HDR needs 720p or 1080p.',
		options: serverDefaultAnd(MODELS['ray-3.2'].resolutions),
		displayOptions: v2({ model: RAY3 }),
	},
	{
		displayName: 'Duration',
		name: 'duration',
		type: 'options',
		default: '',
		options: [
			{ name: 'Server Default', value: '' },
			{ name: '5 Seconds', value: '5s' },
			{ name: '9 Seconds', value: '9s' },
		],
		displayOptions: v1,
	},
	{
		displayName: 'Duration',
		name: 'duration',
		type: 'options',
		default: '',
		description: 'Length of the clip',
		options: serverDefaultAnd(MODELS['ray-2'].durations, seconds),
		displayOptions: RAY2_FIELD,
	},
	{
		displayName: 'Duration',
		name: 'duration',
		type: 'options',
		default: '',
		description: 'Length of the clip. HDR is made only as a 5-second clip.',
		options: serverDefaultAnd(MODELS['ray-3.2'].durations, seconds),
		displayOptions: v2({ model: RAY3 }),
	},
	{
		displayName: 'HDR',
		name: 'hdr',
		type: 'boolean',
		default: false,
		description:
			'Whether to make a high dynamic range video. Only 5-second clips at 720p or 1080p: a Server Default duration is sent as 5 seconds.',
		displayOptions: v2({ model: RAY3 }),
	},
	{
		displayName: 'EXR Export',
		name: 'exrExport',
		type: 'boolean',
		default: false,
		description: 'Whether to also export the frames as EXR images, for color grading. Needs HDR.',
		displayOptions: v2({ model: RAY3, hdr: [true] }),
	},
	{
		displayName: 'Callback URL',
		name: 'callbackUrl',
		type: 'string',
		default: '',
		placeholder: 'https://example.com/webhook/luma',
		description:
			'Optional http(s) URL the server POSTs the generation to as it changes state (whether the gateway forwards it is not guaranteed)',
		displayOptions: v1,
	},
	{
		displayName: 'Callback URL',
		name: 'callbackUrl',
		type: 'string',
		default: '',
		placeholder: 'https://example.com/webhook/luma',
		description:
			"Optional http(s) URL the server POSTs the generation to as it changes state. Only the gateway's Luma endpoint takes one (whether it forwards it is not guaranteed); Luma Wait needs none.",
		displayOptions: RAY2_FIELD,
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Creates per Minute',
				name: 'createsPerMinute',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 600 },
				default: 20,
				description:
					'Most create requests sent per minute for this account, across every execution in this n8n process (they share one queue). The default matches the upstream limit of 20 per minute.',
			},
			{
				displayName: 'Max Wait in Create Queue (Minutes)',
				name: 'maxQueueWaitMinutes',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 1440 },
				default: 30,
				description:
					'Longest time an item waits for its turn when many executions create on this account at once (the account allows 20 creates a minute and 10 videos running). An item still waiting then fails without being sent or billed.',
			},
			{
				displayName: 'Dry Run',
				name: 'dryRun',
				type: 'boolean',
				default: false,
				description: 'Whether to only check the items and output the exact request bodies, sending nothing and spending nothing',
			},
			{
				displayName: 'Max Creates per Execution',
				name: 'maxCreatesPerRun',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 50,
				description:
					'Cost guard: the most generations this node may create in one execution of the workflow, counting all its items, loops back into it, retries and AI Agent tool calls. A run that would go over it fails before sending anything. Each create costs 500,000 tokens.',
			},
		],
	},
];

