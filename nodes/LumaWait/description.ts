import type { INodeProperties } from 'n8n-workflow';

import { canvasAndTool, toolDescriptionProperty } from '../shared/tool';
import { GENERATION_ID_FROM_MODEL, TOOL_DESCRIPTION, TOOL_MAX_WAIT_SECONDS } from './tool';

export const WAIT_TARGETS = ['dreaming', 'completed'] as const;
export const MAX_WAIT_LIMIT_SECONDS = 6 * 60 * 60;

export const waitProperties: INodeProperties[] = [
	toolDescriptionProperty(TOOL_DESCRIPTION),
	...canvasAndTool(
		{
			displayName: 'Generation ID',
			name: 'generationId',
			type: 'string',
			required: true,
			default: '={{ $json.id }}',
			description: 'ID of the generation to wait for; the default follows Luma Generate with no typing',
		},
		{
			default: GENERATION_ID_FROM_MODEL,
			description: 'ID of the generation to wait for; by default the model fills it in with the ID Luma Generate returned',
		},
	),
	{
		displayName: 'Wait Until',
		name: 'waitUntil',
		type: 'options',
		default: 'completed',
		options: [
			{
				name: 'Completed',
				value: 'completed',
				description: 'The video is ready (or the generation failed)',
			},
			{
				name: 'Dreaming',
				value: 'dreaming',
				description: 'The generation has started (or already completed or failed)',
			},
		],
		description:
			'States go queued → dreaming → completed → failed; the wait ends at this state or any later one',
	},
	...canvasAndTool(
		{
			displayName: 'Max Wait (Seconds)',
			name: 'maxWaitSeconds',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: MAX_WAIT_LIMIT_SECONDS },
			default: 600,
			description:
				'Longest time this node waits in one run, for all its items together; items still running then leave on the Timed Out output',
		},
		{
			default: TOOL_MAX_WAIT_SECONDS,
			description:
				'Longest time one tool call waits; a video still running then comes back as timed out, and the model can call again with the same ID',
		},
	),
	{
		displayName: 'Download Video',
		name: 'downloadVideo',
		type: 'boolean',
		default: false,
		description:
			'Whether to download the finished video as binary data (the URL is always in the JSON; asset URLs may expire)',
		// A model cannot read binary data: as a tool, the video URL is the answer.
		displayOptions: { hide: { '@tool': [true] } },
	},
	{
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		hint: 'The name of the output binary field to put the video in',
		displayOptions: { show: { downloadVideo: [true] } },
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Batch Size',
				name: 'batchSize',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 100 },
				default: 50,
				description: 'How many generations one fetch request asks about',
			},
		],
	},
];
