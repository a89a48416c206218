import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeBaseDescription, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { testApilaplasApi } from '../../shared/credentialTest';
import { subtitleOf } from '../description';
import { generate } from '../generate';
import { MODES } from './description';
import { allVersionsProperties, requestBuilderOf } from '../versions';

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
			// Both versions' fields: n8n 1.x may run a node of the other version as this one's tool (versions.ts).
			properties: allVersionsProperties,
		};
	}

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		// The node's own version, not this class's: see versions.ts.
		return await generate.call(this, requestBuilderOf(this));
	}
}
