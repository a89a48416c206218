/**
 * Luma Wait as a tool of n8n's AI Agent. n8n runs a `usableAsTool` node under its type name
 * plus `Tool` and hands the model only the first output, so in that mode every outcome goes
 * there, as the few fields a model can act on.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { fromModel } from '../shared/tool';
import { timing } from '../shared/timing';

/**
 * Max Wait when run as a tool, for all the calls of one execution together: a chat client gives
 * up after about 90 s and MCP clients after 60 s, and the model needs time of its own around it.
 */
export const TOOL_MAX_WAIT_SECONDS = 45;

/** Executions (one chat message each) with the time their first Luma Wait tool call started. */
const turns = new Map<string, number>();
const TURNS_KEPT = 1000;

/**
 * How long a tool call may wait: until Max Wait after the first Luma Wait call of this execution,
 * so a model calling again in the same turn cannot keep its caller waiting past its window. A call
 * outside any execution (an MCP client's, in regular mode) has its own Max Wait. With less than
 * two seconds of it left, the call only reads the state once, without holding (`once`).
 */
export function toolDeadline(ctx: IExecuteFunctions, startedAt: number, maxWaitSeconds: number): { deadline: number; once: boolean } {
	const executionId = ctx.getExecutionId();
	let first = startedAt;
	if (executionId) {
		first = turns.get(executionId) ?? startedAt;
		turns.set(executionId, first);
		if (turns.size > TURNS_KEPT) turns.delete(turns.keys().next().value!);
	}
	const deadline = first + maxWaitSeconds * timing.secondMs;
	return deadline - startedAt < 2 * timing.secondMs ? { deadline: startedAt + 5 * timing.secondMs, once: true } : { deadline, once: false };
}

export const TOOL_DESCRIPTION =
	'Waits for a Luma Dream Machine video. Give it the generation id that Luma Generate returned. ' +
	'Returns the state: "completed" with the video URL (videoUrl), "failed" with the reason (failureReason), ' +
	'or timedOut: true if the video is still being made; then call this tool again with the same id. ' +
	'Waiting costs nothing; never call Luma Generate again for the same video.';

export const GENERATION_ID_FROM_MODEL = fromModel('generationId', 'The generation id that Luma Generate returned for the video (a UUID)');

const STILL_RUNNING_ADVICE =
	'The video is still being made. Tell the user so, with its generation id, and answer now; when the user asks again, call this tool again with the same generation id. Never generate it again.';

/** What the model reads of one routed item: no input fields, no raw answer, no request. */
export function forModel(json: IDataObject): IDataObject {
	const answer: IDataObject = { id: json.id };
	if (json.error !== undefined) return { ...answer, error: json.error };
	answer.state = json.state;
	if (json.timedOut === true) {
		Object.assign(answer, { timedOut: true, waitedSeconds: json.waitedSeconds, advice: STILL_RUNNING_ADVICE });
		if (json.lastError) answer.lastError = json.lastError;
		return answer;
	}
	for (const field of ['failureReason', 'videoUrl', 'thumbnailUrl', 'usdSpent'] as const) {
		if (json[field] !== undefined && json[field] !== null) answer[field] = json[field];
	}
	return answer;
}

/** Every item of every output, in compact form, on the one output the agent reads. */
export function toolOutput(outputs: INodeExecutionData[][]): INodeExecutionData[][] {
	const items = outputs
		.flat()
		.map((item) => ({ json: forModel(item.json), pairedItem: item.pairedItem }))
		.sort((a, b) => itemIndex(a) - itemIndex(b));
	return [items];
}

function itemIndex(item: INodeExecutionData): number {
	const paired = item.pairedItem;
	return typeof paired === 'object' && !Array.isArray(paired) ? paired.item : 0;
}
