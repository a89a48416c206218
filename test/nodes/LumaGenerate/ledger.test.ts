/**
 * The spend ledger (nodes/LumaGenerate/ledger.ts) on its own: what a second try of the same
 * work finds there decides whether a paid create is sent again. n8n keeps the node context
 * across Retry On Fail (the same object) and saves it with a failed execution, handing a copy
 * back when the execution is retried; the fake context here does both.
 */
import type { IContextObject, IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { SpendLedger } from '../../../nodes/LumaGenerate/ledger';

let workflowCounter = 0;

/** A node's execution context: its node context, its execution and workflow. */
function contextOf(nodeContext: IContextObject, executionId: string, workflowId: string): IExecuteFunctions {
	return {
		getContext: () => nodeContext,
		getExecutionId: () => executionId,
		getWorkflow: () => ({ id: workflowId, name: 'Videos' }),
		getNode: () => ({ name: 'Luma Generate' }),
	} as unknown as IExecuteFunctions;
}

/** What n8n saves of a failed execution's node context and hands back on its Retry: a copy through JSON. */
const saved = (nodeContext: IContextObject): IContextObject => JSON.parse(JSON.stringify(nodeContext));

const BODY: IDataObject = { prompt: 'A red fox in fresh snow', aspect_ratio: '16:9', model: 'ray-2', callback_url: 'https://n8n.example.com/webhook-waiting/1' };
const GENERATION = { id: '0f3ea4aa-10e7-4dae-af0b-263ab4ac45f9', state: 'queued' };

/** One try's create of item 0 at run index 0: reserved, sent, and then whatever `outcome` does. */
function sendOnce(ledger: SpendLedger, outcome: (ledger: SpendLedger, entry: ReturnType<SpendLedger['reserve']>) => void, body = BODY) {
	const entry = ledger.reserve(0, 0, body);
	ledger.markSent(entry);
	outcome(ledger, entry);
	return entry;
}

const created = (ledger: SpendLedger, entry: ReturnType<SpendLedger['reserve']>) => ledger.markCreated(entry, GENERATION);

describe('a paid create is never sent twice for the same item', () => {
	let workflowId: string;
	beforeEach(() => {
		workflowId = `wf-${++workflowCounter}`;
	});

	test('Retry On Fail: the next try finds the generation the first one created, and the cap counts it once', () => {
		const nodeContext: IContextObject = {};
		sendOnce(SpendLedger.of(contextOf(nodeContext, 'exec-1', workflowId)), created);

		const secondTry = SpendLedger.of(contextOf(nodeContext, 'exec-1', workflowId));
		expect(secondTry.earlier(0, 0, BODY)).toMatchObject({ status: 'created', created: { id: GENERATION.id } });
		expect(secondTry.spent).toBe(1);
	});

	test('the same request with its keys in another order, or a new callback URL (a new resume URL on every Retry), is the same create', () => {
		const nodeContext: IContextObject = {};
		sendOnce(SpendLedger.of(contextOf(nodeContext, 'exec-1', workflowId)), created);
		const again = SpendLedger.of(contextOf(nodeContext, 'exec-1', workflowId));
		const reordered = { model: 'ray-2', aspect_ratio: '16:9', prompt: 'A red fox in fresh snow', callback_url: 'https://n8n.example.com/webhook-waiting/2' };
		expect(again.earlier(0, 0, reordered)?.created?.id).toBe(GENERATION.id);
	});

	test('another prompt, another item or another run of the node (a loop back into it) is new work, not a repeat', () => {
		const nodeContext: IContextObject = {};
		sendOnce(SpendLedger.of(contextOf(nodeContext, 'exec-1', workflowId)), created);
		const again = SpendLedger.of(contextOf(nodeContext, 'exec-1', workflowId));
		expect(again.earlier(0, 0, { ...BODY, prompt: 'A grey wolf in fresh snow' })).toBeUndefined();
		expect(again.earlier(0, 1, BODY)).toBeUndefined();
		expect(again.earlier(1, 0, BODY)).toBeUndefined();
	});

	test('Retry of the failed execution: the saved node context comes back, and with it the generation', () => {
		const nodeContext: IContextObject = {};
		const first = SpendLedger.of(contextOf(nodeContext, 'exec-1', workflowId));
		sendOnce(first, created);
		first.remember();

		const retry = SpendLedger.of(contextOf(saved(nodeContext), 'exec-2', workflowId));
		expect(retry.earlier(0, 0, BODY)?.created?.id).toBe(GENERATION.id);
	});

	test('the same failed execution retried twice: the second Retry also finds what the first Retry created', () => {
		const original: IContextObject = {};
		const failed = SpendLedger.of(contextOf(original, 'exec-1', workflowId));
		failed.remember();
		const savedOriginal = saved(original);

		// The first Retry creates the video, then fails further on (a later node).
		const firstRetryContext = saved(savedOriginal);
		const firstRetry = SpendLedger.of(contextOf(firstRetryContext, 'exec-2', workflowId));
		sendOnce(firstRetry, created);
		firstRetry.remember();

		// n8n starts the second Retry from the original's saved data, which never saw that create.
		const secondRetry = SpendLedger.of(contextOf(saved(savedOriginal), 'exec-3', workflowId));
		expect(secondRetry.earlier(0, 0, BODY)).toMatchObject({ status: 'created', created: { id: GENERATION.id } });
	});

	test('an unknown outcome (no answer) is never sent again: the next try finds it unknown, with the reason', () => {
		const nodeContext: IContextObject = {};
		sendOnce(SpendLedger.of(contextOf(nodeContext, 'exec-1', workflowId)), (ledger, entry) => ledger.markUnknown(entry, 'the connection was reset'));
		const again = SpendLedger.of(contextOf(saved(nodeContext), 'exec-2', workflowId));
		expect(again.earlier(0, 0, BODY)).toMatchObject({ status: 'unknown', reason: 'the connection was reset', sentAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
	});

	test('a run stopped while its create was in flight: the create counts as unknown, not as never sent', () => {
		const nodeContext: IContextObject = {};
		const ledger = SpendLedger.of(contextOf(nodeContext, 'exec-1', workflowId));
		const inFlight = sendOnce(ledger, () => undefined);
		const neverSent = ledger.reserve(0, 1, { ...BODY, prompt: 'Not sent yet' });
		ledger.settle([inFlight, neverSent], 'the run stopped while the request was in flight');

		const retry = SpendLedger.of(contextOf(saved(nodeContext), 'exec-2', workflowId));
		expect(retry.earlier(0, 0, BODY)).toMatchObject({ status: 'unknown', reason: 'the run stopped while the request was in flight' });
		// The reservation that never left cost nothing: the retry may send it.
		expect(retry.earlier(0, 1, { ...BODY, prompt: 'Not sent yet' })).toBeUndefined();
		expect(retry.spent).toBe(1);
	});

	test('a create the server certainly refused is forgotten: it cost nothing, and a retry may send it', () => {
		const nodeContext: IContextObject = {};
		sendOnce(SpendLedger.of(contextOf(nodeContext, 'exec-1', workflowId)), (ledger, entry) => ledger.release(entry));
		const again = SpendLedger.of(contextOf(nodeContext, 'exec-1', workflowId));
		expect(again.earlier(0, 0, BODY)).toBeUndefined();
		expect(again.spent).toBe(0);
	});
});
