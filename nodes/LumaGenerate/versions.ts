/**
 * What makes one Luma Generate class right for a node of either version. n8n 1.x (1.123) builds
 * a node's AI Agent tool (`lumaGenerateTool`) once per process, from the version first asked for,
 * and runs every later tool node of either version on it: on its `execute()` and on its
 * description's properties (parameters and their defaults are resolved from them). So both
 * version classes run the request builder of the node's own `typeVersion`, and describe both
 * versions' fields, each shown only for its version (`@version`), as the single class before
 * the split did. v1/description.ts and v2/description.ts stay the one source of each version's fields.
 */
import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
	INodeType,
	INodeTypeBaseDescription,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { testApilaplasApi } from '../shared/credentialTest';
import type { VideoMode } from '../shared/models';
import { subtitleOf } from './description';
import { generate } from './generate';
import type { RequestBuilder } from './request';
import { versionDescription as v1Properties } from './v1/description';
import { readCreateRequestV1 } from './v1/request';
import { versionDescription as v2Properties } from './v2/description';
import { readCreateRequestV2 } from './v2/request';

/** `properties`, each shown only on nodes of `typeVersion` (added to its `displayOptions.show`). */
function onlyInVersion(typeVersion: number, properties: INodeProperties[]): INodeProperties[] {
	return properties.map((property) => ({
		...property,
		// First: n8n shows a field as soon as a condition it checks reads an expression (say a
		// Model set to `={{ … }}`), without checking the conditions after it.
		displayOptions: { ...property.displayOptions, show: { '@version': [typeVersion], ...property.displayOptions?.show } },
	}));
}

/** Every version's fields, version 1's then version 2's, each shown only for its own version. */
export const allVersionsProperties: INodeProperties[] = [...onlyInVersion(1, v1Properties), ...onlyInVersion(2, v2Properties)];

/**
 * The request builder of the node being run, by its own `typeVersion` (1, or 2 and later), not
 * by the class n8n runs it on.
 */
export function requestBuilderOf(ctx: IExecuteFunctions): RequestBuilder {
	return ctx.getNode().typeVersion < 2 ? readCreateRequestV1 : readCreateRequestV2;
}

/**
 * One version of Luma Generate as n8n sees it: that version's number and subtitle (its modes'
 * names), both versions' fields, and a run of the node's own version. v1/ and v2/ each make one.
 */
export class LumaGenerateVersion implements INodeType {
	description: INodeTypeDescription;

	methods = { credentialTest: { apilaplasApiTest: testApilaplasApi } };

	constructor(baseDescription: INodeTypeBaseDescription, version: number, modes: readonly VideoMode[]) {
		this.description = {
			...baseDescription,
			version,
			subtitle: subtitleOf(modes),
			defaults: { name: 'Luma Generate' },
			usableAsTool: true,
			inputs: [NodeConnectionTypes.Main],
			outputs: [NodeConnectionTypes.Main],
			credentials: [{ name: 'apilaplasApi', required: true, testedBy: 'apilaplasApiTest' }],
			properties: allVersionsProperties,
		};
	}

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await generate.call(this, requestBuilderOf(this));
	}
}
