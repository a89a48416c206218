/** Luma Generate as an AI Agent tool: what the model reads back from one call. */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

/** n8n runs a node as a tool under its type name with `Tool` appended. */
export function isToolRun(ctx: IExecuteFunctions): boolean {
	return ctx.getNode().type.endsWith('Tool') || (typeof ctx.isToolExecution === 'function' && ctx.isToolExecution());
}

/** The compact answer a model can act on: the id to wait for, and why not to call again. */
export function toolResult(fields: IDataObject): IDataObject {
	return {
		id: fields.id,
		state: fields.state,
		tokenCost: fields.tokenCost,
		...(fields.reusedFromEarlierTry ? { reusedFromEarlierTry: true } : {}),
		next: 'The video is being generated. Pass this id to the Luma Wait tool to get its state and video URL. Do not call Luma Generate again for this request: every call creates (and bills) a new video.',
	};
}
