/**
 * Luma Generate's run: check every item, look up what earlier tries of this run already paid
 * for, apply the execution-wide cost guard, then send the remaining creates in order at the
 * configured rate. Each item is created at most once; nothing paid for is lost.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import type { Generation } from '../shared/generation';
import { timing } from '../shared/timing';
import type { ApiName } from '../shared/models';
import { LIST_PRICE_TOKENS } from '../shared/models';
import { accountKey, certainlyNotCreated, connection, createGeneration } from '../shared/transport';
import type { LedgerEntry } from './ledger';
import { SpendLedger } from './ledger';
import { SpendMemory } from './spendMemory';
import { checkSources } from './sources';
import type { CreateRequest, RequestBuilder } from './request';
import { isToolRun } from '../shared/tool';
import { describedErrorItem, resultsFirst } from '../shared/errorItem';
import { toolResult } from './tool';

interface GenerateOptions {
	createsPerMinute?: number;
	maxQueueWaitMinutes?: number;
	dryRun?: boolean;
	/** The cost guard. Named per run in version 1; it counts the whole execution. */
	maxCreatesPerRun?: number;
}

/** What to do with one item in this run. */
type Plan =
	| { kind: 'invalid'; error: Error }
	| { kind: 'send'; request: CreateRequest; entry: LedgerEntry }
	| { kind: 'alreadyCreated'; entry: LedgerEntry }
	| { kind: 'outcomeUnknown'; entry: LedgerEntry };

/** A generation this run has to show for an item: made now, or by an earlier try. */
interface CreatedItem {
	itemIndex: number;
	id: string;
}

function tokens(count: number): string {
	return (count * LIST_PRICE_TOKENS).toLocaleString('en-US');
}

function plural(count: number, word: string): string {
	return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The run index n8n gives this run of the node: the same for every try of Retry On Fail and a retried execution. */
function runIndexOf(ctx: IExecuteFunctions): number {
	return ctx.getWorkflowDataProxy(0).$runIndex;
}

/**
 * The output fields of a created generation, as kept in the ledger: its id, the API that made
 * it (Luma Wait asks there), and its cost: what the server reported, else the list price.
 */
function createdFields(generation: Generation, request: CreateRequest, api: ApiName): IDataObject & { id: string } {
	return {
		id: generation.id,
		state: generation.state,
		createdAt: generation.createdAt,
		model: generation.model ?? (request.body.model as string),
		mode: request.mode,
		api,
		...costFields(generation.creditsUsed, generation.usdSpent),
		generation: generation.raw,
	};
}

/**
 * `tokenCost` as the server reported it (the list price, marked as such, when it did not), and
 * `usdSpent`, the cost in US dollars, when the server reports it.
 */
export function costFields(creditsUsed: number | null, usdSpent: number | null = null): IDataObject {
	const tokens = creditsUsed === null ? { tokenCost: LIST_PRICE_TOKENS, tokenCostIsListPrice: true } : { tokenCost: creditsUsed };
	if (usdSpent !== null) lastUsdPerToken = creditsUsed ? usdSpent / creditsUsed : lastUsdPerToken;
	return usdSpent === null ? tokens : { ...tokens, usdSpent };
}

/** Dollars per token as the gateway last reported them in this process: the cost guard speaks in money with it. */
let lastUsdPerToken: number | undefined;

/** " (about $N)" for `count` creates at the list price, when the gateway has told what a token costs. */
function inDollars(count: number): string {
	return lastUsdPerToken === undefined ? '' : `, about $${(count * LIST_PRICE_TOKENS * lastUsdPerToken).toFixed(2)} at the rate the gateway last reported`;
}

/**
 * One run of Luma Generate, whichever version: `readRequest` is the version's request builder.
 * Returns one output of an item per input item (the created generation, or an error item under
 * Continue); throws a NodeOperationError or NodeApiError that names any generation already
 * created in this run.
 */
export async function generate(this: IExecuteFunctions, readRequest: RequestBuilder): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const options = this.getNodeParameter('options', 0, {}) as GenerateOptions;
	const maxCreates = options.maxCreatesPerRun ?? 50;
	const perMinute = options.createsPerMinute ?? 20;
	const asTool = isToolRun(this);
	if (!(perMinute >= 1)) {
		throw new NodeOperationError(this.getNode(), `Creates per Minute must be at least 1, got ${perMinute}`);
	}

	// 1. Check every item before anything is sent.
	const requests: Array<CreateRequest | Error> = items.map((_, itemIndex) => {
		try {
			return readRequest(this, itemIndex);
		} catch (error) {
			if (!this.continueOnFail()) throw new NodeOperationError(this.getNode(), error as Error, { itemIndex });
			return error as Error;
		}
	});
	if (options.dryRun) return [resultsFirst(this, dryRunOutput(this, items, requests))];

	// 2. What earlier tries of this run (Retry On Fail, a retried execution) already sent, then
	// what an earlier execution of the same work created and did not deliver (a parent's retry
	// of this sub-workflow, the editor's Execute step after a failed run).
	const ledger = SpendLedger.of(this);
	const memory = SpendMemory.of(this);
	const run = runIndexOf(this);
	const accounts = await Promise.all(
		requests.map(async (request, itemIndex) => (request instanceof Error ? '' : accountKey(await connection(this, itemIndex)))),
	);
	const earlier = requests.map((request, itemIndex) => {
		if (request instanceof Error) return undefined;
		const entry = ledger.earlier(run, itemIndex, request.body);
		if (entry || !memory) return entry;
		const taken = memory.take(accounts[itemIndex], itemIndex, request.body);
		if (!taken) return undefined;
		if ('created' in taken.outcome) logReused(this, itemIndex, taken.outcome.created.id, taken.executionId);
		return ledger.adopt(run, itemIndex, request.body, taken.outcome, taken.executionId);
	});

	// Extend, Reverse Extend, Interpolate: each source generation read once (free) before paying.
	const sourceErrors = await checkSources(
		this,
		requests.map((request, itemIndex) => (request instanceof Error || earlier[itemIndex] ? undefined : request)),
		accounts,
	);
	sourceErrors.forEach((error, itemIndex) => {
		if (!error) return;
		if (!this.continueOnFail()) throw error;
		requests[itemIndex] = error;
	});

	// 3. The cost guard counts every create of this node in this execution. Checked and
	// reserved with no await in between, so runs of the node (e.g. tool calls) cannot interleave.
	const toSend = requests.filter((request, itemIndex) => !(request instanceof Error) && !earlier[itemIndex]).length;
	let refusal: Error | undefined;
	try {
		checkCostGuard(this, ledger.spent, toSend, maxCreates);
	} catch (error) {
		const createdBefore = earlier.flatMap((entry, itemIndex) => (entry?.created ? [{ itemIndex, id: entry.created.id }] : []));
		// Under Continue, an error item for each item held back: thrown, n8n would pass the input
		// items on as if they were done (on the success branch with the error output).
		if (!this.continueOnFail() || asTool) throw withCreatedIds(error as Error, createdBefore);
		refusal = error as Error;
	}
	const plans: Plan[] = requests.map((request, itemIndex) => {
		if (request instanceof Error) return { kind: 'invalid', error: request };
		const entry = earlier[itemIndex];
		if (!entry && refusal) return { kind: 'invalid', error: refusal };
		if (!entry) return { kind: 'send', request, entry: ledger.reserve(run, itemIndex, request.body) };
		return entry.status === 'created' ? { kind: 'alreadyCreated', entry } : { kind: 'outcomeUnknown', entry };
	});

	// 4. Send, in order, through the account's create queue: shared with every execution in this
	// process, it keeps the account's rate and waits out a 429 instead of failing the item.
	const output: INodeExecutionData[] = [];
	const created: CreatedItem[] = [];
	const unknownFromEarlierTries: Array<{ itemIndex: number; entry: LedgerEntry }> = [];
	const signal = this.getExecutionCancelSignal?.();
	const maxWaitMs = (options.maxQueueWaitMinutes ?? 30) * timing.minuteMs;
	const emit = (itemIndex: number, json: IDataObject) =>
		output.push({ json: asTool ? toolResult(json) : { ...items[itemIndex].json, ...json }, pairedItem: { item: itemIndex } });

	let failed = true;
	try {
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			const plan = plans[itemIndex];
			const input = items[itemIndex].json;
			if (plan.kind === 'invalid') {
				output.push(describedErrorItem(this, input, plan.error, itemIndex));
				continue;
			}
			if (plan.kind === 'alreadyCreated') {
				const fields = plan.entry.created!;
				created.push({ itemIndex, id: fields.id });
				// Entries saved before the API and cost fields existed were all on the list price.
				emit(itemIndex, {
					tokenCost: LIST_PRICE_TOKENS,
					tokenCostIsListPrice: true,
					...fields,
					request: plan.entry.body,
					reusedFromEarlierTry: true,
					...(plan.entry.reusedFrom ? { reusedFromExecution: plan.entry.reusedFrom } : {}),
				});
				continue;
			}
			if (plan.kind === 'outcomeUnknown') {
				const unknown = { itemIndex, entry: plan.entry };
				if (this.continueOnFail()) output.push(describedErrorItem(this, input, outcomeUnknownError(this, [unknown]), itemIndex));
				// Not a reason to hold back the items after it: reported once they are done.
				else unknownFromEarlierTries.push(unknown);
				continue;
			}

			if (signal?.aborted) break;
			ledger.markSent(plan.entry);
			try {
				const queue = { perMinute, maxWaitMs, onWait: (position: number, waitMs: number) => logQueued(this, itemIndex, position, waitMs) };
				const { generation, api } = await createGeneration(this, plan.request.body, itemIndex, queue);
				const fields = createdFields(generation, plan.request, api);
				ledger.markCreated(plan.entry, fields);
				memory?.record(accounts[itemIndex], itemIndex, plan.request.body, { created: fields });
				created.push({ itemIndex, id: generation.id });
				logCreate(this, itemIndex, generation.id, run, api);
				emit(itemIndex, { ...fields, request: plan.request.body });
			} catch (error) {
				if (certainlyNotCreated(error)) ledger.release(plan.entry);
				else {
					ledger.markUnknown(plan.entry, (error as Error).message);
					logUnknown(this, itemIndex, run, (error as Error).message);
				}
				if (this.continueOnFail()) {
					output.push(describedErrorItem(this, input, error as Error, itemIndex));
					continue;
				}
				throw withCreatedIds(error as Error, created);
			}
		}
		failed = unknownFromEarlierTries.length > 0;
	} finally {
		const sent = plans.flatMap((plan) => (plan.kind === 'send' ? [plan.entry] : []));
		ledger.settle(sent, 'the run stopped while the request was in flight');
		// A create that may exist is never sent again, by a later execution of the same work either.
		for (const entry of sent.filter((candidate) => ledger.holds(candidate) && candidate.status === 'unknown')) {
			memory?.record(accounts[entry.item], entry.item, entry.body, { unknown: { reason: entry.reason ?? 'no answer', sentAt: entry.sentAt } });
		}
		// Stopped with a create in flight, n8n saved the node context before its answer came: the
		// answer (read even after Stop, it may hold a paid id) reaches a Retry from this process only.
		if (failed || signal?.aborted || this.getMode() === 'retry') ledger.remember();
	}

	if (unknownFromEarlierTries.length) throw withCreatedIds(outcomeUnknownError(this, unknownFromEarlierTries), created);
	if (signal?.aborted && created.length) {
		this.logger.warn(`Luma Generate was cancelled after creating: ${created.map((c) => c.id).join(', ')}`);
	}
	return [resultsFirst(this, output)];
}

function dryRunOutput(ctx: IExecuteFunctions, items: INodeExecutionData[], requests: Array<CreateRequest | Error>): INodeExecutionData[] {
	return requests.map((request, itemIndex) =>
		request instanceof Error
			? describedErrorItem(ctx, items[itemIndex].json, request, itemIndex)
			: {
					json: { ...items[itemIndex].json, dryRun: true, mode: request.mode, request: request.body, tokenCost: LIST_PRICE_TOKENS, tokenCostIsListPrice: true },
					pairedItem: { item: itemIndex },
				},
	);
}

function checkCostGuard(ctx: IExecuteFunctions, spent: number, toSend: number, maxCreates: number): void {
	// Nothing new to send (every item comes from an earlier try) costs nothing, whatever the cap.
	if (toSend === 0 || spent + toSend <= maxCreates) return;
	const message =
		spent === 0
			? `This run would create ${plural(toSend, 'generation')} (${tokens(toSend)} tokens${inDollars(toSend)}), more than Max Creates per Execution (${maxCreates})`
			: `This run would create ${plural(toSend, 'more generation')} (${tokens(toSend)} tokens${inDollars(toSend)}), but this node already sent ${plural(spent, 'create')} in this execution and Max Creates per Execution is ${maxCreates}`;
	throw new NodeOperationError(ctx.getNode(), message, {
		description:
			'Nothing was sent. The cap counts every create this node sends in one execution: all its items, loops back into it, retries and AI Agent tool calls. ' +
			`If you mean it, raise Options → Max Creates per Execution to ${spent + toSend} or more, or split the items over several executions.`,
	});
}

/** Items an earlier try sent without learning whether they were created: never sent again. */
function outcomeUnknownError(ctx: IExecuteFunctions, unknown: Array<{ itemIndex: number; entry: LedgerEntry }>): NodeOperationError {
	const [{ itemIndex, entry }] = unknown;
	const which = unknown.length === 1 ? `Item ${itemIndex} was` : `Items ${unknown.map((u) => u.itemIndex).join(', ')} were`;
	return new NodeOperationError(
		ctx.getNode(),
		`${which} sent in an earlier try with an unknown outcome: a generation may already exist and be billed (500,000 tokens each)`,
		{
			itemIndex,
			description:
				'Not sent again, so not paid twice. Look for these prompts among your generations on the Apilaplas gateway ' +
				`(sent ${entry.sentAt ?? 'in the earlier try'}${entry.reusedFrom ? ` by execution ${entry.reusedFrom}` : ''}). The earlier try ended with: ${(entry.reason ?? 'no answer').replace(/\.$/, '')}. ` +
				(entry.reusedFrom
					? 'To create them anyway, change the request (e.g. the prompt): the same request is never sent again by a rerun of this work.'
					: 'To create them anyway, run the workflow again as a new execution.'),
		},
	);
}

/**
 * One info line per paid create, with the execution id: n8n saves nothing of a node that was
 * running when the process died, so after a crash these lines are where the ids are.
 */
function logCreate(ctx: IExecuteFunctions, itemIndex: number, id: string, run: number, api: ApiName): void {
	const executionId = ctx.getExecutionId();
	const nodeName = ctx.getNode().name;
	ctx.logger.info(
		`Luma Generate: created generation ${id} for item ${itemIndex} (${where(ctx)}, node "${nodeName}", run ${run}, api ${api})`,
		{ executionId, nodeName, itemIndex, runIndex: run, generationId: id, api },
	);
}

/**
 * Where a run happens, as a person finds it: its execution, or (a tool called by an MCP client
 * in regular mode runs outside any execution) the workflow it belongs to.
 */
function where(ctx: IExecuteFunctions): string {
	const executionId = ctx.getExecutionId();
	if (executionId) return `execution ${executionId}`;
	const workflow = ctx.getWorkflow();
	return `no execution: a tool call, e.g. from an MCP client, in workflow "${workflow.name ?? ''}" ${workflow.id ?? ''}`.trimEnd();
}

/** A generation an earlier execution created and did not deliver, handed to this run instead of a new create. */
function logReused(ctx: IExecuteFunctions, itemIndex: number, id: string, from: string): void {
	ctx.logger.info(
		`Luma Generate: reused generation ${id} for item ${itemIndex}, created by execution ${from} that did not finish (${where(ctx)}, node "${ctx.getNode().name}"); nothing sent`,
		{ executionId: ctx.getExecutionId(), itemIndex, generationId: id, reusedFromExecution: from },
	);
}

/** The account's limits hold this item back: where it stands and for about how long. */
function logQueued(ctx: IExecuteFunctions, itemIndex: number, position: number, waitMs: number): void {
	ctx.logger.info(
		`Luma Generate: item ${itemIndex} waits for the account's create limits: position ${position} in the queue, about ${Math.ceil(waitMs / 1000)} s (${where(ctx)}, node "${ctx.getNode().name}")`,
	);
}

function logUnknown(ctx: IExecuteFunctions, itemIndex: number, run: number, reason: string): void {
	ctx.logger.warn(
		`Luma Generate: item ${itemIndex} may have been created, outcome unknown (${where(ctx)}, node "${ctx.getNode().name}", run ${run}): ${reason}`,
	);
}

/** A run that stops part-way says which generations it already paid for. */
function withCreatedIds(error: Error, created: CreatedItem[]): Error {
	if (!created.length) return error;
	const list = created.map(({ itemIndex, id }) => `item ${itemIndex}: ${id}`).join(', ');
	const note = `Already created in this run (not lost, fetch them with Luma Wait): ${list}.`;
	if (error instanceof NodeApiError || error instanceof NodeOperationError) {
		error.description = [error.description, note].filter(Boolean).join(' ');
		return error;
	}
	return new Error(`${error.message}. ${note}`);
}
