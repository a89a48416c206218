/**
 * The one way both nodes turn an item they could not do their job for into an output item, so
 * that n8n's node setting On Error routes it: Continue (using error output) moves it to the error
 * output, Continue keeps it on the regular output(s), paired to its input item either way.
 *
 * What n8n moves to the error output (`handleNodeErrorOutput` in n8n-core's workflow-execute):
 * an item whose `json` is `{error}` alone, or `{error, message}` (n8n 1.x and 2.x before 2.36;
 * 2.36 and later also allow `details`), or one with `item.error` set (but then n8n replaces its
 * whole json with the message, dropping the input's fields). It scans every regular output.
 * On the error output n8n merges the paired input item's json under the error item's, so an
 * error item there is the input's fields with `error` on top: nothing doubled, nothing lost.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { isToolRun } from './tool';

const errorItems = new WeakSet<INodeExecutionData>();

/**
 * True under On Error → Continue (using error output). Never for a tool run: an agent reads only
 * the first output, so there error items stay where the model sees them.
 */
export function usesErrorOutput(ctx: IExecuteFunctions): boolean {
	return ctx.getNode().onError === 'continueErrorOutput' && !isToolRun(ctx);
}

/**
 * The error item for input item `itemIndex`, paired to it; `message` says what went wrong and
 * names the item (and the field or the generation id).
 * - Continue (using error output): `{error: message}` only; n8n adds the input's fields.
 * - Continue: `{...input, error: message, ...regularExtra}`; `regularExtra` (e.g. the error's
 *   description, the generation id asked about) only here: n8n allows no other field on the
 *   error output.
 */
export function errorItem(
	ctx: IExecuteFunctions,
	input: IDataObject,
	message: string,
	itemIndex: number,
	regularExtra: IDataObject = {},
): INodeExecutionData {
	const item: INodeExecutionData = {
		json: usesErrorOutput(ctx) ? { error: message } : { ...input, error: message, ...regularExtra },
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
 * `json.error`, even if the node succeeded for every other item. With the error output the order
 * on the first output is not visible (n8n splits it into two outputs, each in input order), so
 * results first keep a run that succeeded from being run again. Under Continue the output keeps
 * the input's order.
 */
export function resultsFirst(ctx: IExecuteFunctions, items: INodeExecutionData[]): INodeExecutionData[] {
	if (!usesErrorOutput(ctx)) return items;
	return [...items.filter((item) => !isErrorItem(item)), ...items.filter(isErrorItem)];
}

/**
 * `errorItem` for an error: its message, and on the regular output also its description (how to
 * fix it) when it has one, as Luma Generate's error items always carried.
 */
export function describedErrorItem(
	ctx: IExecuteFunctions,
	input: IDataObject,
	error: Error & { description?: string | null },
	itemIndex: number,
): INodeExecutionData {
	return errorItem(ctx, input, error.message, itemIndex, error.description ? { description: error.description } : {});
}

/** The items in the order of the input items they are paired to (a stable sort). */
export function inInputOrder(items: INodeExecutionData[]): INodeExecutionData[] {
	const inputIndex = (item: INodeExecutionData) => (item.pairedItem as { item: number }).item;
	return [...items].sort((a, b) => inputIndex(a) - inputIndex(b));
}
