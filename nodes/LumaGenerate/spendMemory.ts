/**
 * The spend memory: what Luma Generate created, kept in this process across executions, so that
 * a run repeating an earlier one that did not finish gets the generation already paid for
 * instead of paying again. The node-context ledger (ledger.ts) covers one execution and its
 * retries; this covers what starts a *new* execution for the same work:
 * - a sub-workflow started again by its parent: the parent's Retry On Fail, or a Retry of the
 *   parent's execution (each start is a new child execution with an empty node context);
 * - the editor's Execute step (or a new run) after a run that failed part-way.
 *
 * Such runs share a lineage: the parent's execution (the context n8n establishes once per
 * execution and keeps on its Retry) and the workflow, or the workflow in the editor. A
 * created generation is handed back only to another execution of the same lineage, for the
 * same account, node, item and request (its callback URL aside), and only once the execution that
 * made it ended without success (a create whose outcome is unknown is handed on as such, so it is
 * never sent again): a run that succeeded delivered its videos, so a deliberate new
 * run (a schedule, the editor after a good run) makes new ones. Executions without a lineage
 * (a trigger's own run, a chat message, a webhook) never take from here.
 *
 * It lives in this process only: a restart, or a retry that runs on another queue-mode worker,
 * starts without it (the ids are in the log: "Luma Generate: created generation …").
 */
import type { IDataObject, IExecuteFunctions, IRun } from 'n8n-workflow';

import { requestKey } from './ledger';

type EntryState = 'open' | 'failed' | 'delivered';

/** What another execution learnt of its create: the generation, or that its outcome is unknown (it may exist). */
export type Remembered = { created: IDataObject & { id: string } } | { unknown: { reason: string; sentAt?: string } };

interface MemoryEntry {
	item: number;
	request: string;
	outcome: Remembered;
	/** The execution that last made or reused it. */
	executionId: string;
	state: EntryState;
	at: number;
}

/** What n8n keeps on a node's execution context that a node's API does not expose. */
interface EngineInternals {
	runExecutionData?: {
		parentExecution?: { executionId?: string; workflowId?: string; executionContext?: { establishedAt?: number } };
	};
	additionalData?: { hooks?: { addHandler?: (hook: 'workflowExecuteAfter', handler: (run: IRun) => void) => void } };
}

const KEPT_MS = 24 * 60 * 60 * 1000;
const KEPT_SCOPES = 500;

/** Entries by scope (account, workflow, node, lineage), oldest scope first. */
const scopes = new Map<string, MemoryEntry[]>();
/** Executions whose end is watched: their entries learn whether they were delivered. */
const watched = new Set<string>();

/**
 * The lineage of this run, or undefined when it starts nothing again: `child of <parent workflow>
 * <parent execution>` in a sub-workflow, `editor <workflow>` for a run from the editor.
 */
export function lineageOf(ctx: IExecuteFunctions): string | undefined {
	const internals = ctx as unknown as EngineInternals;
	const parent = internals.runExecutionData?.parentExecution;
	if (parent?.executionId) {
		// Established once per execution and kept when the execution is retried (n8n 1.x and 2.x).
		const established = parent.executionContext?.establishedAt;
		return `child of ${parent.workflowId ?? ''} ${established !== undefined ? `established ${established}` : parent.executionId}`;
	}
	if (ctx.getMode() === 'manual') return `editor ${ctx.getWorkflow().id ?? ''}`;
	return undefined;
}

function scopeKey(ctx: IExecuteFunctions, account: string, lineage: string): string {
	return `${account} ${ctx.getWorkflow().id ?? ''} ${ctx.getNode().name} ${lineage}`;
}

function prune(now: number): void {
	for (const [key, entries] of scopes) {
		const kept = entries.filter((entry) => now - entry.at < KEPT_MS);
		if (kept.length === 0) scopes.delete(key);
		else scopes.set(key, kept);
	}
	while (scopes.size > KEPT_SCOPES) scopes.delete(scopes.keys().next().value!);
}

/** Learns how this execution ends: delivered on success, reusable by its lineage otherwise. */
function watchEnd(ctx: IExecuteFunctions, executionId: string): boolean {
	if (watched.has(executionId)) return true;
	const addHandler = (ctx as unknown as EngineInternals).additionalData?.hooks?.addHandler;
	if (typeof addHandler !== 'function') return false;
	watched.add(executionId);
	addHandler.call((ctx as unknown as EngineInternals).additionalData!.hooks, 'workflowExecuteAfter', (run: IRun) => {
		// A parked execution has not ended: it comes back later in another run of the hooks.
		if (run?.status === 'waiting') return;
		watched.delete(executionId);
		const state: EntryState = run?.status === 'success' ? 'delivered' : 'failed';
		for (const entries of scopes.values()) {
			for (const entry of entries) if (entry.executionId === executionId && entry.state === 'open') entry.state = state;
		}
	});
	return true;
}

/** Where this run's creates are remembered; undefined when nothing is (no lineage, or n8n tells no execution's end). */
export class SpendMemory {
	private constructor(
		private readonly ctx: IExecuteFunctions,
		private readonly lineage: string,
		private readonly executionId: string,
	) {}

	static of(ctx: IExecuteFunctions): SpendMemory | undefined {
		const lineage = lineageOf(ctx);
		const executionId = ctx.getExecutionId();
		if (!lineage || !executionId || !watchEnd(ctx, executionId)) return undefined;
		return new SpendMemory(ctx, lineage, executionId);
	}

	/**
	 * What another execution of this lineage sent for this account, item and request and did not
	 * deliver (it ended without success): the generation it created, or a create whose outcome is
	 * unknown (never sent again). Taken: the next failure hands it on again.
	 */
	take(account: string, item: number, body: IDataObject): { outcome: Remembered; executionId: string } | undefined {
		const entries = scopes.get(scopeKey(this.ctx, account, this.lineage)) ?? [];
		const request = requestKey(body);
		const entry = entries.find(
			(candidate) => candidate.state === 'failed' && candidate.item === item && candidate.request === request && candidate.executionId !== this.executionId,
		);
		if (!entry) return undefined;
		const from = entry.executionId;
		Object.assign(entry, { executionId: this.executionId, state: 'open', at: Date.now() });
		return { outcome: entry.outcome, executionId: from };
	}

	/** Remembers a create of this run (made, or sent with an unknown outcome) until its execution ends. */
	record(account: string, item: number, body: IDataObject, outcome: Remembered): void {
		const now = Date.now();
		prune(now);
		const key = scopeKey(this.ctx, account, this.lineage);
		const entries = scopes.get(key) ?? [];
		scopes.delete(key);
		scopes.set(key, [...entries, { item, request: requestKey(body), outcome, executionId: this.executionId, state: 'open', at: now }]);
	}
}
