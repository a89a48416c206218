import type { INodeProperties } from 'n8n-workflow';

import { canvasAndTool, toolDescriptionProperty } from '../shared/tool';
import { GENERATION_ID_FROM_MODEL, TOOL_DESCRIPTION, TOOL_MAX_WAIT_SECONDS } from './tool';

export const WAIT_TARGETS = ['dreaming', 'completed'] as const;

/** How Luma Wait hands items on: one output per outcome (the default, and every saved workflow's), or one output. */
export type OutputsSetting = 'perOutcome' | 'single';

/**
 * The node's outputs for its Outputs setting, as an n8n expression the editor evaluates. Single
 * Output exists because n8n reads only the first output of a sub-workflow's last node, of a
 * tool, and Loop Over Items ends when nothing comes back to it.
 */
export const OUTPUTS_EXPRESSION: `={{${string}}}` =
	'={{ $parameter.outputs === "single" ? [{ type: "main", displayName: "Result" }] : [{ type: "main", displayName: "Completed" }, { type: "main", displayName: "Failed" }, { type: "main", displayName: "Timed Out" }] }}';
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
				'Longest time the tool waits in one execution (one chat message), all its calls together, so the chat or MCP client gets its answer in time; a video still running then comes back with its ID, and a later call waits again',
		},
	),
	{
		displayName: 'Outputs',
		name: 'outputs',
		type: 'options',
		default: 'perOutcome',
		options: [
			{
				name: 'One per Outcome',
				value: 'perOutcome',
				description: 'Three outputs: Completed, Failed, Timed Out',
			},
			{
				name: 'Single Output',
				value: 'single',
				description:
					'Every item on one output, its outcome in the field "status" (completed, failed or timedOut): for the end of a sub-workflow, a workflow tool, or a loop back to Loop Over Items',
			},
		],
		description:
			'Where items leave. A sub-workflow hands its caller only the first output of its last node, an agent reads only the first output, and Loop Over Items stops when nothing comes back to it: there, use Single Output.',
		displayOptions: { hide: { '@tool': [true] } },
	},
	{
		displayName:
			'Ending a sub-workflow, or looping back to Loop Over Items? Only Completed would reach the caller or the loop: set Outputs to Single Output so failed and timed-out items are not lost.',
		name: 'outputsNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { outputs: ['perOutcome'] }, hide: { '@tool': [true] } },
	},
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
