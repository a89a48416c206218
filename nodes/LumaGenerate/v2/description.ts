/**
 * Luma Generate version 2's parameters: every mode and model, each field offering only what the
 * chosen model can do (docs/API.md §2.1 and §4.1).
 */
import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import type { ModelId } from '../../shared/models';
import { MODE_RULES, MODELS, VIDEO_MODES } from '../../shared/models';
import {
	frameProperties,
	loopProperty,
	modeProperty,
	optionsProperty,
	promptProperties,
	serverDefaultAnd,
	show,
	toolDescription,
	videoUrlProperties,
} from '../description';

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

/** Shown with Ray 3.2 only; `rest` narrows it further. */
function ray3(rest: { hdr?: boolean[] } = {}) {
	return { show: { model: RAY3, ...rest } };
}

/**
 * A field of Ray 2 and Ray Flash 2: shown in their modes unless the model is Ray 3.2. Written as
 * `hide` and with the modes, so that the editor, which resets a value its newly shown field does
 * not offer, also does so when a mode change brings Ray 3.2's model back to Ray 2.
 */
const RAY2_FIELD = {
	show: { mode: VIDEO_MODES.filter((mode) => MODE_RULES[mode].models.includes('ray-2')) },
	hide: { model: RAY3 },
};

const seconds = (value: string) => `${Number.parseInt(value, 10)} Seconds`;

/** Version 2's fields, in the order the editor shows them. */
export const versionDescription: INodeProperties[] = [
	toolDescription,
	modeProperty('editVideo', 'extend', 'imageToVideo', 'interpolate', 'reframeVideo', 'reverseExtend', 'textToVideo'),
	// Only the models that can do the mode are offered.
	{
		displayName: 'Model',
		name: 'model',
		type: 'options',
		default: 'ray-2',
		description: 'The Luma model that makes the video',
		options: [MODEL_OPTIONS['ray-2'], MODEL_OPTIONS['ray-flash-2'], MODEL_OPTIONS['ray-3.2']],
		displayOptions: show('textToVideo', 'imageToVideo'),
	},
	{
		displayName: 'Model',
		name: 'model',
		type: 'options',
		default: 'ray-2',
		description: 'The Luma model that makes the video. Extending and interpolating earlier generations is done by Ray 2 and Ray Flash 2.',
		options: [MODEL_OPTIONS['ray-2'], MODEL_OPTIONS['ray-flash-2']],
		displayOptions: show('extend', 'reverseExtend', 'interpolate'),
	},
	{
		displayName: 'Model',
		name: 'model',
		type: 'options',
		default: 'ray-3.2',
		description: "Edit Video and Reframe Video are done by Ray 3.2, on the gateway's unified video API",
		options: [MODEL_OPTIONS['ray-3.2']],
		displayOptions: show('editVideo', 'reframeVideo'),
	},
	...promptProperties,
	...videoUrlProperties,
	...frameProperties,
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
		displayOptions: { show: { mode: ['textToVideo', 'imageToVideo', 'editVideo'], model: RAY3 } },
	},
	{
		displayName: 'Aspect Ratio',
		name: 'aspectRatio',
		type: 'options',
		default: '16:9',
		description: 'The shape to bring the video to, width to height (Ray 3.2 has no 9:21)',
		options: MODELS['ray-3.2'].aspectRatios.map((ratio) => ({ name: ratio, value: ratio })),
		displayOptions: show('reframeVideo'),
	},
	loopProperty,
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
		displayOptions: ray3(),
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
		displayOptions: ray3(),
	},
	{
		displayName: 'HDR',
		name: 'hdr',
		type: 'boolean',
		default: false,
		description:
			'Whether to make a high dynamic range video. Only 5-second clips at 720p or 1080p: a Server Default duration is sent as 5 seconds.',
		displayOptions: ray3(),
	},
	{
		displayName: 'EXR Export',
		name: 'exrExport',
		type: 'boolean',
		default: false,
		description: 'Whether to also export the frames as EXR images, for color grading. Needs HDR.',
		displayOptions: ray3({ hdr: [true] }),
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
	optionsProperty,
];
