/**
 * Extend, Reverse Extend and Interpolate start from earlier generations. Before anything is paid
 * for, each source generation is read once (a free read, on the API that holds it, with the
 * item's account): one that does not exist on this account, failed, or is still being made is
 * refused with the item and the field, since the gateway may take such a create and bill it.
 */
import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import type { Generation } from '../shared/generation';
import type { Keyframe } from '../shared/models';
import { apiForGeneration, fetchGeneration } from '../shared/transport';
import type { CreateRequest } from './request';
import { GENERATION_FIELDS } from './request';

/** What one read of a source found: the generation, that no API of the gateway knows it, or why it could not be read. */
type Found = Generation | 'unknown' | Error;

async function readSource(ctx: IExecuteFunctions, id: string, itemIndex: number): Promise<Found> {
	const home = await apiForGeneration(ctx, id, undefined, itemIndex);
	for (const api of [home.api, home.orElse]) {
		if (!api) continue;
		const found = await fetchGeneration(ctx, id, { api, itemIndex, credentialItem: itemIndex }).catch((error: Error) => error);
		if (!(found instanceof Error)) return found;
		// Unknown here: maybe on the other API; any other failure ends the check.
		if (!(found instanceof NodeApiError && found.httpCode === '404')) return found;
	}
	return 'unknown';
}

/** Why a create cannot start from this source, or undefined when it can (it completed). */
function refusal(ctx: IExecuteFunctions, field: string, id: string, found: Generation | 'unknown', itemIndex: number): Error | undefined {
	if (found !== 'unknown' && found.state === 'completed') return undefined;
	const [problem, fix] =
		found === 'unknown'
			? [`names generation ${id}, which this account does not have`, 'Check the ID (a typo, or an ID from another account or gateway?): only your own completed generations can be extended.']
			: found.state === 'failed'
				? [`names generation ${id}, which failed${found.failureReason ? ` (${found.failureReason})` : ''}`, 'Only a completed generation can be extended: use another one, or make it again.']
				: [`names generation ${id}, which is still being made (${found.state})`, 'Wait for it with Luma Wait first, then start from it once it is completed.'];
	return new NodeOperationError(ctx.getNode(), `${field} ${problem} [item ${itemIndex}]`, {
		itemIndex,
		description: `Nothing was sent or billed. ${fix}`,
	});
}

/**
 * For each request (`undefined` where nothing will be sent), the error that refuses it because
 * of a source generation, or undefined. One read per source id and account, whatever the number
 * of items naming it.
 */
export async function checkSources(
	ctx: IExecuteFunctions,
	requests: Array<CreateRequest | undefined>,
	/** Each item's account (`accountKey` of its connection), as the caller already read it. */
	accounts: string[],
): Promise<Array<Error | undefined>> {
	const reads = new Map<string, Promise<Found>>();
	return await Promise.all(
		requests.map(async (request, itemIndex) => {
			const fields = request && GENERATION_FIELDS[request.mode];
			if (!request || !fields) return undefined;
			const account = accounts[itemIndex];
			for (const frame of ['frame0', 'frame1'] as const) {
				const keyframe: Keyframe | undefined = request.body.keyframes?.[frame];
				const field = fields[frame];
				if (!field || keyframe?.type !== 'generation') continue;
				const key = `${account} ${keyframe.id}`;
				if (!reads.has(key)) reads.set(key, readSource(ctx, keyframe.id, itemIndex).catch((error: Error) => error));
				const found = await reads.get(key)!;
				if (found instanceof Error) {
					return new NodeOperationError(ctx.getNode(), `${field}: generation ${keyframe.id} could not be checked before creating: ${found.message} [item ${itemIndex}]`, {
						itemIndex,
						description: 'Nothing was sent or billed. Run it again once the gateway answers.',
					});
				}
				const refused = refusal(ctx, field, keyframe.id, found, itemIndex);
				if (refused) return refused;
			}
			return undefined;
		}),
	);
}
