import type { INodeTypeBaseDescription, IVersionedNodeType } from 'n8n-workflow';
import { VersionedNodeType } from 'n8n-workflow';

import { LumaGenerateV1 } from './v1/LumaGenerateV1';
import { LumaGenerateV2 } from './v2/LumaGenerateV2';

/**
 * Luma Generate, one node type in two versions: a saved node keeps the version it was made with
 * (version 1 is frozen as released), a new node is version 2. n8n offers each version as an AI
 * Agent tool too (`lumaGenerateTool`), from `usableAsTool` on that version's description.
 * n8n 2.x keeps one tool per version; n8n 1.x (1.123) keeps the first tool it made under the
 * type's name alone and runs the tool nodes of both versions on it, so each version's class
 * describes both versions' fields and runs the node's own version (versions.ts).
 */
export class LumaGenerate extends VersionedNodeType {
	constructor() {
		const baseDescription: INodeTypeBaseDescription = {
			displayName: 'Luma Generate',
			name: 'lumaGenerate',
			// n8n resolves every version's icon next to this file.
			icon: { light: 'file:luma.svg', dark: 'file:luma.dark.svg' },
			group: ['transform'],
			description: 'Create AI videos with Luma Dream Machine through the Apilaplas gateway',
			// Version 1 is kept as released, so saved workflows send the same requests; 2 adds Ray 3.2.
			defaultVersion: 2,
		};
		const nodeVersions: IVersionedNodeType['nodeVersions'] = {
			1: new LumaGenerateV1(baseDescription),
			2: new LumaGenerateV2(baseDescription),
		};
		super(nodeVersions, baseDescription);
	}
}
