/**
 * Luma Generate version 1's parameters, as released. Frozen: a saved version 1 node opens with
 * these fields and sends what it always sent (checked against bodies recorded from the release,
 * `test/nodes/fixtures/generate-v1-bodies.json`). New models and options go to version 2.
 */
import type { INodeProperties } from 'n8n-workflow';

import {
	frameProperties,
	loopProperty,
	modeProperty,
	optionsProperty,
	promptProperties,
	serverDefaultAnd,
	toolDescription,
} from '../description';

/** What version 1 accepts, field by field. */
export const MODES = ['textToVideo', 'imageToVideo', 'extend', 'reverseExtend', 'interpolate'] as const;
export type ModeV1 = (typeof MODES)[number];
export const ASPECT_RATIOS = ['16:9', '1:1', '9:16', '4:3', '3:4', '21:9', '9:21'] as const;
export const MODEL_VALUES = ['ray-2', 'ray-flash-2', 'ray-1-6'] as const;
export const RESOLUTIONS = ['540p', '720p', '1080p', '4k'] as const;
export const DURATIONS = ['5s', '9s'] as const;

/** Version 1's fields, in the order the editor shows them. */
export const versionDescription: INodeProperties[] = [
	toolDescription,
	modeProperty('extend', 'imageToVideo', 'interpolate', 'reverseExtend', 'textToVideo'),
	...promptProperties,
	...frameProperties,
	{
		displayName: 'Aspect Ratio',
		name: 'aspectRatio',
		type: 'options',
		default: '16:9',
		options: ASPECT_RATIOS.map((ratio) => ({ name: ratio, value: ratio })),
	},
	loopProperty,
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
	},
	{
		displayName: 'Resolution',
		name: 'resolution',
		type: 'options',
		default: '',
		options: serverDefaultAnd(RESOLUTIONS),
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
	optionsProperty,
];
