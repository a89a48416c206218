/**
 * The one way both nodes turn an item they could not do their job for into an output item, so
 * that n8n's node setting On Error routes it: Continue (using error output) moves it to the error
 * output, Continue keeps it on the regular output(s).
 *
 * n8n moves an item to the error output only if its `json` holds nothing but `error`, `message`
 * and `details` (or `item.error` is set, but then n8n replaces the whole json with the message,
 * losing the input's fields). On that output n8n merges the paired input item's `json` under the
 * error item's, so both settings end with the same fields: the input's, then `error` and
 * `details` on top.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { isToolRun } from './tool';

/** What went wrong for one item: the message, and how to fix it when known. */
export interface ItemFailure {
	message: string;
	description?: string | null;
}

const errorItems = new WeakSet<INodeExecutionData>();

/**
 * True under On Error → Continue (using error output). Never for a tool run: an agent reads only
 * the first output, so there error items stay where the model sees them.
 */
export function usesErrorOutput(ctx: IExecuteFunctions): boolean {
	return ctx.getNode().onError === 'continueErrorOutput' && !isToolRun(ctx);
}

/**
 * The error item for input item `itemIndex`, paired to it.
 * - Continue (using error output): `{error, details?}` only; n8n adds the input's fields.
 * - Continue: `{...input, ...extra, error, details?}`; `extra` (e.g. the generation id asked
 *   about) is kept only here, as n8n allows no other field on the error output.
 * `details` is the error's description (how to fix it), absent when there is none.
 */
export function errorItem(
	ctx: IExecuteFunctions,
	input: IDataObject,
	failure: ItemFailure,
	itemIndex: number,
	extra: IDataObject = {},
): INodeExecutionData {
	const fields: IDataObject = { error: failure.message, ...(failure.description ? { details: failure.description } : {}) };
	const item: INodeExecutionData = {
		json: usesErrorOutput(ctx) ? fields : { ...input, ...extra, ...fields },
		pairedItem: { item: itemIndex },
	};
	errorItems.add(item);
	return item;
}

/** Whether `errorItem` made this item. */
export function isErrorItem(item: INodeExecutionData): boolean {
	return errorItems.has(item);
}

/**
 * The items of a node's first output, results before error items when the error output is used.
 * n8n's Retry On Fail runs a node again when the first item of its first output has a
 * `json.error`, even if the node succeeded for every other item; with the error output the
 * order on the first output is not visible (n8n splits it into two outputs, each in input order),
 * so putting results first keeps a run that succeeded from being run again. Under Continue the
 * output keeps the input's order.
 */
export function resultsFirst(ctx: IExecuteFunctions, items: INodeExecutionData[]): INodeExecutionData[] {
	if (!usesErrorOutput(ctx)) return items;
	return [...items.filter((item) => !isErrorItem(item)), ...items.filter(isErrorItem)];
}
