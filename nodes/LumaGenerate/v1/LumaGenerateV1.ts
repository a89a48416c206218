import type { INodeTypeBaseDescription } from 'n8n-workflow';

import { LumaGenerateVersion } from '../versions';
import { MODES } from './description';

/**
 * Luma Generate version 1, as released: Ray 2, Ray Flash 2 and the retired Ray 1.6, five modes.
 *
 * Not a `.node.ts` file: n8n loads it through LumaGenerate.node.ts (the one entry in package.json),
 * which also holds the icon n8n shows for every version.
 */
export class LumaGenerateV1 extends LumaGenerateVersion {
	constructor(baseDescription: INodeTypeBaseDescription) {
		super(baseDescription, 1, MODES);
	}
}
