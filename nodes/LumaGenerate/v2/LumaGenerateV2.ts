import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeBaseDescription, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { VIDEO_MODES } from '../../shared/models';
import { testApilaplasApi } from '../../shared/credentialTest';
import { subtitleOf } from '../description';
import { generate } from '../generate';
import { versionDescription } from './description';
import { readCreateRequestV2 } from './request';

/**
 * Luma Generate version 2: Ray 2, Ray Flash 2 and Ray 3.2 (HDR, EXR export, Edit Video, Reframe Video).
 *
 * Not a `.node.ts` file: n8n loads it through LumaGenerate.node.ts (the one entry in package.json),
 * which also holds the icon n8n shows for every version.
 */
export class LumaGenerateV2 implements INodeType {
	description: INodeTypeDescription;

	methods = { credentialTest: { apilaplasApiTest: testApilaplasApi } };

	constructor(baseDescription: INodeTypeBaseDescription) {
		this.description = {
			...baseDescription,
			version: 2,
			subtitle: subtitleOf(VIDEO_MODES),
			defaults: { name: 'Luma Generate' },
			usableAsTool: true,
			inputs: [NodeConnectionTypes.Main],
			outputs: [NodeConnectionTypes.Main],
			credentials: [{ name: 'apilaplasApi', required: true, testedBy: 'apilaplasApiTest' }],
			properties: versionDescription,
		};
	}

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await generate.call(this, readCreateRequestV2);
	}
}
