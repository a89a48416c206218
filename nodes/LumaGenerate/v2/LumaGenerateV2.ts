import type { INodeTypeBaseDescription } from 'n8n-workflow';

import { VIDEO_MODES } from '../../shared/models';
import { LumaGenerateVersion } from '../versions';

/**
 * Luma Generate version 2: Ray 2, Ray Flash 2 and Ray 3.2 (HDR, EXR export, Edit Video, Reframe Video).
 *
 * Not a `.node.ts` file: n8n loads it through LumaGenerate.node.ts (the one entry in package.json).
 */
export class LumaGenerateV2 extends LumaGenerateVersion {
	constructor(baseDescription: INodeTypeBaseDescription) {
		super(baseDescription, 2, VIDEO_MODES);
	}
}
