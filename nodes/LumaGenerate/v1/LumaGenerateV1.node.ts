import type { IExecuteFunctions, INodeExecutionData, INodeTypeBaseDescription, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { testApilaplasApi } from '../../shared/credentialTest';
import { subtitleOf } from '../description';
import { generate } from '../generate';
import { MODES, versionDescription } from './description';
import { readCreateRequestV1 } from './request';

/**
 * Luma Generate version 1, as released: Ray 2, Ray Flash 2 and the retired Ray 1.6, five modes.
 *
 * An INodeType, checked where LumaGenerate.node.ts lists it in `nodeVersions`. Not marked
 * `implements INodeType`: n8n's community lint would then look for the icon next to this file,
 * while n8n resolves a version's icon (`baseDescription.icon`) next to LumaGenerate.node.ts.
 */
export class LumaGenerateV1 {
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
