import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { testApilaplasApi } from '../shared/credentialTest';
import { OUTPUTS_EXPRESSION, waitProperties } from './description';
import { wait } from './wait';

export class LumaWait implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Luma Wait',
		name: 'lumaWait',
		icon: { light: 'file:luma.svg', dark: 'file:luma.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ "until " + $parameter["waitUntil"] }}',
		description: 'Wait for Luma Dream Machine generations and branch on completed, failed or timed out',
		defaults: { name: 'Luma Wait' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: OUTPUTS_EXPRESSION,
		credentials: [{ name: 'apilaplasApi', required: true, testedBy: 'apilaplasApiTest' }],
		properties: waitProperties,
	};

	methods = { credentialTest: { apilaplasApiTest: testApilaplasApi } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await wait.call(this);
	}
}
