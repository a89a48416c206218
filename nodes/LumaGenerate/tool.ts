/** Luma Generate as an AI Agent tool: what the model reads back from one call. */
import type { IDataObject } from 'n8n-workflow';

/** What the model reads about the tool. */
export const TOOL_DESCRIPTION =
	'Starts generating ONE video (Luma Dream Machine) from a text prompt and returns its id at once; the video is not ready yet. ' +
	'Pass the id to the Luma Wait tool to get the video URL. Every call costs 500,000 tokens and creates a new video, ' +
	'so call it once per video the user asked for, never again for the same request.';

/** The compact answer a model can act on: the id to wait for, and why not to call again. */
export function toolResult(fields: IDataObject): IDataObject {
	return {
		id: fields.id,
		state: fields.state,
		tokenCost: fields.tokenCost,
		// The list price, not what the gateway charged: it reports that later, if at all.
		...(fields.tokenCostIsListPrice ? { tokenCostIsListPrice: true } : {}),
		...(fields.usdSpent !== undefined ? { usdSpent: fields.usdSpent } : {}),
		...(fields.reusedFromEarlierTry ? { reusedFromEarlierTry: true } : {}),
		next: 'The video is being generated. Pass this id to the Luma Wait tool to get its state and video URL. Do not call Luma Generate again for this request: every call creates (and bills) a new video.',
	};
}
