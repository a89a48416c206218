/**
 * Luma Generate's run: check every item, apply the cost guard, then send the creates in order
 * at the configured rate. Each item is created at most once; nothing paid for is lost.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { createGeneration, TOKENS_PER_CREATE } from '../shared/transport';
import { pause, timing } from '../shared/timing';
import type { CreateRequest } from './request';
import { readCreateRequest } from './request';

interface GenerateOptions {
	createsPerMinute?: number;
	dryRun?: boolean;
	maxCreatesPerRun?: number;
}

function errorItem(input: IDataObject, error: Error & { description?: string | null }, itemIndex: number): INodeExecutionData {
	return {
		json: { ...input, error: error.message, ...(error.description ? { description: error.description } : {}) },
		pairedItem: { item: itemIndex },
	};
}

function tokens(count: number): string {
	return (count * TOKENS_PER_CREATE).toLocaleString('en-US');
}

export async function generate(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const options = this.getNodeParameter('options', 0, {}) as GenerateOptions;
	const maxCreates = options.maxCreatesPerRun ?? 50;
	const perMinute = options.createsPerMinute ?? 20;
	if (!(perMinute >= 1)) {
		throw new NodeOperationError(this.getNode(), `Creates per Minute must be at least 1, got ${perMinute}`);
	}

	// 1. Check every item before anything is sent.
	const requests: Array<CreateRequest | Error> = items.map((_, itemIndex) => {
		try {
			return readCreateRequest(this, itemIndex);
		} catch (error) {
			if (!this.continueOnFail()) throw new NodeOperationError(this.getNode(), error as Error, { itemIndex });
			return error as Error;
		}
	});
	const toSend = requests.filter((request) => !(request instanceof Error)).length;

	// 2. The cost guard holds for the whole run.
	if (!options.dryRun && toSend > maxCreates) {
		throw new NodeOperationError(
			this.getNode(),
			`This run would create ${toSend} generations (${tokens(toSend)} tokens), more than Max Creates per Run (${maxCreates})`,
			{
				description: `Nothing was sent. If you mean it, raise Options → Max Creates per Run to ${toSend} or more, or split the items into smaller runs.`,
			},
		);
	}

	// 3. Send, in order, at most `perMinute` a minute.
	const output: INodeExecutionData[] = [];
	const created: Array<{ itemIndex: number; id: string }> = [];
	const spacingMs = timing.minuteMs / perMinute;
	const signal = this.getExecutionCancelSignal?.();
	let lastSentAt = -Infinity;

	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		const request = requests[itemIndex];
		const input = items[itemIndex].json;
		if (request instanceof Error) {
			output.push(errorItem(input, request, itemIndex));
			continue;
		}
		if (options.dryRun) {
			output.push({
				json: { ...input, dryRun: true, mode: request.mode, request: request.body, tokenCost: TOKENS_PER_CREATE },
				pairedItem: { item: itemIndex },
			});
			continue;
		}

		await pause(lastSentAt + spacingMs - Date.now(), signal);
		if (signal?.aborted) break;
		lastSentAt = Date.now();
		try {
			const generation = await createGeneration(this, request.body, itemIndex);
			created.push({ itemIndex, id: generation.id });
			output.push({
				json: {
					...input,
					id: generation.id,
					state: generation.state,
					createdAt: generation.createdAt,
					model: generation.model ?? (request.body.model as string),
					mode: request.mode,
					request: request.body,
					tokenCost: TOKENS_PER_CREATE,
					generation: generation.raw,
				} as IDataObject,
				pairedItem: { item: itemIndex },
			});
		} catch (error) {
			if (this.continueOnFail()) {
				output.push(errorItem(input, error as Error, itemIndex));
				continue;
			}
			throw withCreatedIds(error as Error, created);
		}
	}
	if (signal?.aborted && created.length) {
		this.logger.warn(`Luma Generate was cancelled after creating: ${created.map((c) => c.id).join(', ')}`);
	}
	return [output];
}

/** A run that stops part-way says which generations it already paid for. */
function withCreatedIds(error: Error, created: Array<{ itemIndex: number; id: string }>): Error {
	if (!created.length) return error;
	const list = created.map(({ itemIndex, id }) => `item ${itemIndex}: ${id}`).join(', ');
	const note = `Already created in this run (not lost, fetch them with Luma Wait): ${list}.`;
	if (error instanceof NodeApiError || error instanceof NodeOperationError) {
		error.description = [error.description, note].filter(Boolean).join(' ');
		return error;
	}
	return new Error(`${error.message}. ${note}`);
}
