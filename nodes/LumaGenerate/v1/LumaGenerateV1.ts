import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeBaseDescription, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { testApilaplasApi } from '../../shared/credentialTest';
import { subtitleOf } from '../description';
import { generate } from '../generate';
import { MODES, versionDescription } from './description';
import { readCreateRequestV1 } from './request';

/**
 * Luma Generate version 1, as released: Ray 2, Ray Flash 2 and the retired Ray 1.6, five modes.
 *
 * Not a `.node.ts` file: n8n loads it through LumaGenerate.node.ts (the one entry in package.json),
 * which also holds the icon n8n shows for every version.
 */
export class LumaGenerateV1 implements INodeType {
	description: INodeTypeDescription;

	methods = { credentialTest: { apilaplasApiTest: testApilaplasApi } };

	constructor(baseDescription: INodeTypeBaseDescription) {
		this.description = {
			...baseDescription,
			version: 1,
			subtitle: subtitleOf(MODES),
			defaults: { name: 'Luma Generate' },
			usableAsTool: true,
			inputs: [NodeConnectionTypes.Main],
			outputs: [NodeConnectionTypes.Main],
			credentials: [{ name: 'apilaplasApi', required: true, testedBy: 'apilaplasApiTest' }],
			properties: versionDescription,
		};
	}

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await generate.call(this, readCreateRequestV1);
	}
}
