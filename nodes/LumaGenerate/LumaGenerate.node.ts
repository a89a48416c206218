import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { testApilaplasApi } from '../shared/credentialTest';
import { generateProperties, MODE_NAMES } from './description';
import { generate } from './generate';

export class LumaGenerate implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Luma Generate',
		name: 'lumaGenerate',
		icon: { light: 'file:luma.svg', dark: 'file:luma.dark.svg' },
		group: ['transform'],
		// Version 1 is kept as released, so saved workflows send the same requests; 2 adds Ray 3.2.
		version: [1, 2],
		defaultVersion: 2,
		subtitle: `={{ ${JSON.stringify(MODE_NAMES)}[$parameter["mode"]] }}`,
		description: 'Create AI videos with Luma Dream Machine through the Apilaplas gateway',
		defaults: { name: 'Luma Generate' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'apilaplasApi', required: true, testedBy: 'apilaplasApiTest' }],
		properties: generateProperties,
	};

	methods = { credentialTest: { apilaplasApiTest: testApilaplasApi } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await generate.call(this);
	}
}
