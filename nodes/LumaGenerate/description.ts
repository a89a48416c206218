/**
 * The parts of Luma Generate's description that both node versions show alike: the tool's description, the fields that name a prompt, images
 * and earlier generations, Loop, and the Options collection. Each version's own fields (its modes,
 * models, aspect ratios, resolutions, durations) are in `v1/description.ts` and `v2/description.ts`.
 */
import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import type { VideoMode } from '../shared/models';
import { canvasAndTool, fromModel, toolDescriptionProperty } from '../shared/tool';
import { TOOL_DESCRIPTION } from './tool';

/** Modes where the API accepts `loop` at all (never with an end frame). Both versions. */
export const LOOP_MODES: VideoMode[] = ['textToVideo', 'imageToVideo', 'extend'];

/** Display options: shown in these modes only. */
export const show = (...modes: VideoMode[]) => ({ show: { mode: modes } });

/** A parameter the model fills in when the node runs as a tool. */
function withToolDefault(property: INodeProperties, key: string, forModel: string): INodeProperties[] {
	return canvasAndTool(property, { default: fromModel(key, forModel) });
}

/** Each mode as the Mode list shows it. */
export const MODE_OPTIONS: Record<VideoMode, INodePropertyOptions> = {
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

/** The Mode field offering `modes` (listed in the order the editor shows them). */
export function modeProperty(...modes: VideoMode[]): INodeProperties {
	return {
		displayName: 'Mode',
		name: 'mode',
		type: 'options',
		noDataExpression: true,
		default: 'textToVideo',
		options: modes.map((mode) => MODE_OPTIONS[mode]),
	};
}

/** The node's subtitle: the mode's name, for the modes listed. */
export function subtitleOf(modes: readonly VideoMode[]): string {
	const names = Object.fromEntries(modes.map((mode) => [mode, MODE_OPTIONS[mode].name]));
	return `={{ ${JSON.stringify(names)}[$parameter["mode"]] }}`;
}

/** The tool's Description, what an AI Agent's model reads (shown in the tool variant only). */
export const toolDescription = toolDescriptionProperty(TOOL_DESCRIPTION);

/** Prompt: typed on the canvas, filled in by the model in the tool variant. */
export const promptProperties: INodeProperties[] = withToolDefault(
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
);

/** Edit Video and Reframe Video (version 2): the video they change. */
export const videoUrlProperties: INodeProperties[] = withToolDefault(
	{
		displayName: 'Source Video URL',
		name: 'videoUrl',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'https://example.com/source.mp4',
		description: 'Public http(s) URL of the video to change, e.g. the video URL Luma Wait output',
		displayOptions: show('editVideo', 'reframeVideo'),
	},
	'videoUrl',
	'The public http(s) URL of the video to change',
);

/** What Image to Video, Extend, Reverse Extend and Interpolate start from: images and earlier generations. */
export const frameProperties: INodeProperties[] = [
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
];

/** Loop, in the modes that can loop. */
export const loopProperty: INodeProperties = {
	displayName: 'Loop',
	name: 'loop',
	type: 'boolean',
	default: false,
	description: 'Whether the video should loop seamlessly. Not allowed together with an end image.',
	displayOptions: show(...LOOP_MODES),
};

/** A choice list that starts with the server's default (sent as nothing). */
export function serverDefaultAnd(values: readonly string[], name: (value: string) => string = (value) => value): INodePropertyOptions[] {
	return [{ name: 'Server Default', value: '' }, ...values.map((value) => ({ name: name(value), value }))];
}

/** The run's settings: the create queue, Dry Run and the cost guard. */
export const optionsProperty: INodeProperties = {
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
};
