import type { INodeProperties } from 'n8n-workflow';

import { canvasAndTool, fromModel, toolDescriptionProperty } from '../shared/tool';
import { TOOL_DESCRIPTION } from './tool';

export const MODES = ['textToVideo', 'imageToVideo', 'extend', 'reverseExtend', 'interpolate'] as const;
export type Mode = (typeof MODES)[number];

export const ASPECT_RATIOS = ['16:9', '1:1', '9:16', '4:3', '3:4', '21:9', '9:21'] as const;
export const MODELS = ['ray-2', 'ray-flash-2', 'ray-1-6'] as const;
export const RESOLUTIONS = ['540p', '720p', '1080p', '4k'] as const;
export const DURATIONS = ['5s', '9s'] as const;

/** Modes where the API accepts `loop` at all (never with an end frame). */
export const LOOP_MODES: Mode[] = ['textToVideo', 'imageToVideo', 'extend'];

const show = (...modes: Mode[]) => ({ show: { mode: modes } });

/** A parameter the model fills in when the node runs as a tool. */
function withToolDefault(property: INodeProperties, key: string, forModel: string): INodeProperties[] {
	return canvasAndTool(property, { default: fromModel(key, forModel) });
}

export const generateProperties: INodeProperties[] = [
	toolDescriptionProperty(TOOL_DESCRIPTION),
	{
		displayName: 'Mode',
		name: 'mode',
		type: 'options',
		noDataExpression: true,
		default: 'textToVideo',
		options: [
			{ name: 'Extend', value: 'extend', description: 'Continue after an earlier generation', action: 'Extend a video' },
			{
				name: 'Image to Video',
				value: 'imageToVideo',
				description: 'A video that starts on an image, ends on one, or both',
				action: 'Create a video from images',
			},
			{
				name: 'Interpolate',
				value: 'interpolate',
				description: 'A video that bridges two earlier generations',
				action: 'Interpolate between two videos',
			},
			{
				name: 'Reverse Extend',
				value: 'reverseExtend',
				description: 'A video that leads up to an earlier generation',
				action: 'Reverse extend a video',
			},
			{ name: 'Text to Video', value: 'textToVideo', description: 'A video from a prompt', action: 'Create a video from text' },
		],
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
			{ name: 'Ray 1.6 (Deprecated)', value: 'ray-1-6', description: 'Deprecated upstream: prefer Ray 2' },
		],
	},
	{
		displayName: 'Resolution',
		name: 'resolution',
		type: 'options',
		default: '',
		options: [
			{ name: 'Server Default', value: '' },
			...RESOLUTIONS.map((value) => ({ name: value, value })),
		],
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
	},
	{
		displayName: 'Callback URL',
		name: 'callbackUrl',
		type: 'string',
		default: '',
		placeholder: 'https://example.com/webhook/luma',
		description:
			'Optional http(s) URL the server POSTs the generation to as it changes state (whether the gateway forwards it is not guaranteed)',
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
					'Most create requests sent per minute. The default matches the upstream limit of 20 per minute, so large batches finish without rate-limit errors.',
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
