/**
 * Luma Wait's run: check every item, wait for all their generations together, then route
 * each item to Completed, Failed or Timed Out, keeping its pairing and its own fields.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { Generation, LumaState } from '../shared/generation';
import { timing } from '../shared/timing';
import { accountKey, cancelledError, connection, downloadVideo } from '../shared/transport';
import { InputChecker } from '../shared/validation';
import type { OutputsSetting } from './description';
import { MAX_WAIT_LIMIT_SECONDS, WAIT_TARGETS } from './description';
import type { WaitOutcome } from './poll';
import { GenerationPoller } from './poll';
import { Limiter } from './sharedReads';
import { isToolRun } from '../shared/tool';
import { errorItem, inInputOrder, isErrorItem, usesErrorOutput } from '../shared/errorItem';
import { toolDeadline, toolOutput } from './tool';

export const OUTPUT = { completed: 0, failed: 1, timedOut: 2 } as const;

/** The `status` field of an item on the Single Output, by the output it would take. */
const STATUS = ['completed', 'failed', 'timedOut'] as const;

/** Downloads running at once. */
const DOWNLOAD_CONCURRENCY = 4;

interface ItemPlan {
	itemIndex: number;
	id: string;
	target: LumaState;
	/** The account of the item's credential: its generation is read with that key. */
	account: string;
}

function generationFields(generation: Generation): IDataObject {
	return {
		id: generation.id,
		state: generation.state,
		failureReason: generation.failureReason,
		videoUrl: generation.videoUrl,
		thumbnailUrl: generation.thumbnailUrl,
		createdAt: generation.createdAt,
		model: generation.model,
		// The cost the server reports once the video is made (the unified API does).
		...(generation.creditsUsed !== null ? { tokenCost: generation.creditsUsed } : {}),
		...(generation.usdSpent !== null ? { usdSpent: generation.usdSpent } : {}),
		generation: generation.raw,
	};
}

export async function wait(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const outputs: INodeExecutionData[][] = [[], [], []];
	const node = this.getNode();
	const startedAt = Date.now();

	let maxWaitSeconds: number;
	try {
		maxWaitSeconds = new InputChecker(node, 0).number('Max Wait (Seconds)', this.getNodeParameter('maxWaitSeconds', 0, 600), {
			min: 1,
			max: MAX_WAIT_LIMIT_SECONDS,
			unit: 'seconds',
		});
	} catch (error) {
		if (!this.continueOnFail()) throw error as NodeOperationError;
		// A setting of the node, not of an item: no item can be waited for, and none may pass as done.
		outputs[OUTPUT.failed] = items.map((item, itemIndex) => errorItem(this, item.json, (error as Error).message, itemIndex));
		return finish(this, outputs);
	}
	const batchSize = (this.getNodeParameter('options.batchSize', 0, 50) as number) || 50;
	// As a tool, Max Wait is shared by every call of one execution (one chat message).
	const { deadline, once } = isToolRun(this)
		? toolDeadline(this, startedAt, maxWaitSeconds)
		: { deadline: startedAt + maxWaitSeconds * timing.secondMs, once: false };

	// 1. Check every item before anything is sent.
	const plans: ItemPlan[] = [];
	const download: Array<{ enabled: boolean; property: string }> = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const check = new InputChecker(node, itemIndex);
			const id = check.text('Generation ID', this.getNodeParameter('generationId', itemIndex)).trim();
			check.generationId('Generation ID', id);
			const target = check.oneOf('Wait Until', this.getNodeParameter('waitUntil', itemIndex, 'completed'), WAIT_TARGETS);
			const enabled = this.getNodeParameter('downloadVideo', itemIndex, false) === true;
			const property = enabled
				? check.text('Put Output File in Field', this.getNodeParameter('binaryPropertyName', itemIndex, 'data')).trim()
				: '';
			const account = accountKey(await connection(this, itemIndex));
			plans.push({ itemIndex, id, target, account });
			download[itemIndex] = { enabled, property };
		} catch (error) {
			if (!this.continueOnFail()) throw new NodeOperationError(node, error as Error, { itemIndex });
			// An error item from upstream (e.g. a create that failed) keeps its own reason. Error items
			// go to Failed: with the error output n8n moves them from there (any output but the first
			// keeps Retry On Fail from running a run that succeeded again).
			const input = items[itemIndex].json;
			const reason = typeof input.error === 'string' ? input.error : (error as Error).message;
			outputs[OUTPUT.failed].push(errorItem(this, input, reason, itemIndex));
		}
	}

	// 2. Wait for every distinct id, grouped by target state and by account (each item's
	// credential may be its own: a generation is read with the key that created it).
	const outcomes = new Map<string, WaitOutcome>();
	for (const target of WAIT_TARGETS) {
		const groups = new Map<string, ItemPlan[]>();
		for (const plan of plans.filter((candidate) => candidate.target === target)) {
			const group = groups.get(plan.account) ?? [];
			group.push(plan);
			groups.set(plan.account, group);
		}
		await Promise.all(
			[...groups].map(async ([account, group]) => {
				const ids = [...new Set(group.map((plan) => plan.id))];
				const poller = new GenerationPoller(this, { target, deadline, batchSize, credentialItem: group[0].itemIndex, once });
				for (const [id, outcome] of await poller.waitFor(ids, apiHints(items, group))) outcomes.set(outcomeKey(account, target, id), outcome);
			}),
		);
	}
	if (this.getExecutionCancelSignal?.()?.aborted) throw cancelledError(this);

	// 3. Route each item, downloading finished videos when asked.
	const routed: Array<{ output: number; item: INodeExecutionData }> = [];
	const downloads: Array<() => Promise<void>> = [];
	for (const plan of plans) {
		const input = withoutEarlierWait(items[plan.itemIndex]);
		const outcome = outcomes.get(outcomeKey(plan.account, plan.target, plan.id))!;
		const pairedItem = { item: plan.itemIndex };
		if (outcome.kind === 'error') {
			if (!this.continueOnFail()) throw outcome.error;
			routed.push({ output: OUTPUT.failed, item: errorItem(this, input.json, outcome.error.message, plan.itemIndex, { id: plan.id }) });
			continue;
		}
		if (outcome.kind === 'timedOut') {
			routed.push({
				output: OUTPUT.timedOut,
				item: {
					json: {
						...input.json,
						id: plan.id,
						// No answer in this window: the state known from before still holds.
						state: outcome.lastState ?? input.json.state ?? null,
						timedOut: true,
						waitedSeconds: Math.round((Date.now() - startedAt) / timing.secondMs),
						...(outcome.lastError ? { lastError: outcome.lastError } : {}),
					},
					pairedItem,
				},
			});
			continue;
		}
		const { generation } = outcome;
		const failed = generation.state === 'failed';
		const json = { ...input.json, ...generationFields(generation) };
		if (generation.creditsUsed !== null) delete json.tokenCostIsListPrice;
		const item: INodeExecutionData = {
			json,
			...(input.binary ? { binary: { ...input.binary } } : {}),
			pairedItem,
		};
		const entry = { output: failed ? OUTPUT.failed : OUTPUT.completed, item };
		routed.push(entry);
		const { enabled, property } = download[plan.itemIndex];
		if (!failed && enabled && generation.state === 'completed') {
			downloads.push(() => attachVideo(this, entry, generation, property, plan.itemIndex));
		}
	}
	const downloading = new Limiter(DOWNLOAD_CONCURRENCY);
	await Promise.all(downloads.map((download) => downloading.run(download)));

	for (const { output, item } of routed) outputs[output].push(item);
	// n8n moves error items to its error output in the order they sit on Failed: input order.
	if (usesErrorOutput(this)) outputs[OUTPUT.failed] = inInputOrder(outputs[OUTPUT.failed]);
	return finish(this, outputs);
}

/**
 * The routed items as the node hands them on: as a tool, every outcome on the one output an
 * agent reads; with Outputs → Single Output, every item on one output with its `status`;
 * otherwise one output per outcome, with a hint where n8n would lose or fake an outcome.
 */
function finish(ctx: IExecuteFunctions, outputs: INodeExecutionData[][]): INodeExecutionData[][] {
	if (isToolRun(ctx)) return toolOutput(outputs);
	const setting = ctx.getNodeParameter('outputs', 0, 'perOutcome') as OutputsSetting;
	if (setting === 'single') return [singleOutput(ctx, outputs)];
	hintWhereOutcomesAreLost(ctx, outputs);
	return outputs;
}

/**
 * Every item on one output, in input order, each with `status` (completed, failed, timedOut).
 * Error items for n8n's error output stay as they are (n8n moves only `{error}` items) and
 * come after the results, so Retry On Fail does not take a run that succeeded for a failure.
 */
function singleOutput(ctx: IExecuteFunctions, outputs: INodeExecutionData[][]): INodeExecutionData[] {
	const items = outputs.flatMap((output, index) =>
		output.map((item) => (usesErrorOutput(ctx) && isErrorItem(item) ? item : { ...item, json: { ...item.json, status: STATUS[index] } })),
	);
	const ordered = inInputOrder(items);
	return usesErrorOutput(ctx) ? [...ordered.filter((item) => !isErrorItem(item)), ...ordered.filter(isErrorItem)] : ordered;
}

/**
 * n8n hands on only the first output where it matters, and Always Output Data puts an empty
 * item on Completed when it is empty: the run says so, and what to do, on the node.
 */
function hintWhereOutcomesAreLost(ctx: IExecuteFunctions, outputs: INodeExecutionData[][]): void {
	const elsewhere = outputs[OUTPUT.failed].length + outputs[OUTPUT.timedOut].length;
	const hints: string[] = [];
	if (ctx.getNode().alwaysOutputData === true && outputs[OUTPUT.completed].length === 0) {
		hints.push(
			'No generation completed, but Always Output Data is on: n8n puts an empty item on Completed, which is not a video. ' +
				'Turn Always Output Data off in the node settings, or set Outputs to Single Output and check the "status" field.',
		);
	}
	if (elsewhere > 0) {
		const nodeName = ctx.getNode().name;
		const inSubWorkflow = (ctx as unknown as { runExecutionData?: { parentExecution?: unknown } }).runExecutionData?.parentExecution !== undefined;
		if (inSubWorkflow && ctx.getChildNodes(nodeName).length === 0) {
			hints.push(
				`${elsewhere} item(s) left on Failed or Timed Out, but a sub-workflow hands its caller only the first output of its last node: set Outputs to Single Output so the caller gets every outcome.`,
			);
		}
		if (ctx.getParentNodes(nodeName).some((parent) => parent.type === 'n8n-nodes-base.splitInBatches')) {
			hints.push(
				`${elsewhere} item(s) left on Failed or Timed Out: Loop Over Items stops when nothing comes back to it. Set Outputs to Single Output and wire that output back to the loop.`,
			);
		}
	}
	if (hints.length) ctx.addExecutionHints?.(...hints.map((message) => ({ message, location: 'outputPane' as const })));
}

function outcomeKey(account: string, target: LumaState, id: string): string {
	return `${account} ${target} ${id}`;
}

/** The API each id was created on, where the item says so (Luma Generate writes `api` next to `id`). */
function apiHints(items: INodeExecutionData[], plans: ItemPlan[]): Map<string, unknown> {
	const hints = new Map<string, unknown>();
	for (const plan of plans) {
		const { id, api } = items[plan.itemIndex].json;
		if (typeof id === 'string' && id.trim() === plan.id && api !== undefined) hints.set(plan.id, api);
	}
	return hints;
}

/**
 * An item that comes back from an earlier Luma Wait run (a loop that parks and waits again)
 * sheds that run's Timed Out fields, so a Completed item never says it timed out.
 */
function withoutEarlierWait(item: INodeExecutionData): INodeExecutionData {
	if (item.json.timedOut !== true) return item;
	const json = { ...item.json };
	for (const field of ['timedOut', 'waitedSeconds', 'lastError']) delete json[field];
	return { ...item, json };
}

async function attachVideo(
	ctx: IExecuteFunctions,
	routed: { output: number; item: INodeExecutionData },
	generation: Generation,
	property: string,
	itemIndex: number,
): Promise<void> {
	try {
		if (!generation.videoUrl) {
			throw new NodeOperationError(ctx.getNode(), `Generation ${generation.id} completed without a video URL`, {
				itemIndex,
				description: 'The server did not say where the video is. The raw answer is in the output JSON under "generation".',
			});
		}
		const { item } = routed;
		item.binary = { ...(item.binary ?? {}), [property]: await downloadVideo(ctx, generation.videoUrl, `${generation.id}.mp4`, itemIndex) };
	} catch (error) {
		// The generation is paid for: its id and URL must reach the user.
		const message = `${(error as Error).message} (generation ${generation.id} completed; video URL: ${generation.videoUrl ?? 'none'})`;
		const description = (error as NodeOperationError).description ?? undefined;
		if (!ctx.continueOnFail()) throw new NodeOperationError(ctx.getNode(), message, { itemIndex, description });
		if (usesErrorOutput(ctx)) {
			// Not the video asked for: an error item, through Failed to n8n's error output.
			routed.output = OUTPUT.failed;
			routed.item = errorItem(ctx, routed.item.json, message, itemIndex);
			return;
		}
		// Continue: on Completed with the video's fields, as before.
		routed.item.json.downloadError = (error as Error).message;
	}
}
