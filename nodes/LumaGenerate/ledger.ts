/**
 * The spend ledger: every create Luma Generate sent in this execution, kept in the node's
 * context. n8n keeps that context across the tries of Retry On Fail, saves it with a failed
 * execution and hands it back when the execution is retried, so a second run of the node for
 * the same run index can tell what it already paid for, and never pays for it again.
 *
 * One gap is n8n's: each Retry of a failed execution starts from that execution's saved data,
 * so retrying the *same* failed execution twice hands the second retry a ledger without the
 * first retry's creates. Ledgers of runs that failed or ran as a retry are therefore also
 * remembered in this process, by the execution that started the chain, and merged back in.
 *
 * An entry is keyed by run index, item index and the exact request body, its callback URL
 * aside: that URL is where the server reports, not what is paid for, and a workflow often builds
 * it from the execution (`$execution.resumeUrl`), which is new on every Retry. Its status:
 * - `reserved`: counted against the cap, not sent yet (released if it is never sent);
 * - `sent`: on its way, outcome not known yet;
 * - `created`: the server answered with a generation;
 * - `unknown`: it may have reached the server, but no usable answer came back.
 * A create the server certainly refused (or that never left) is removed: it cost nothing.
 */
import type { IContextObject, IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { Remembered } from './spendMemory';

export type EntryStatus = 'reserved' | 'sent' | 'created' | 'unknown';

export interface LedgerEntry {
	run: number;
	item: number;
	/** The body as sent, compared key-order-independently. */
	body: IDataObject;
	status: EntryStatus;
	/** ISO time the request went out. */
	sentAt?: string;
	/** When created: the output fields of the generation (id, state, createdAt, model, raw answer). */
	created?: IDataObject & { id: string };
	/** When unknown: why the outcome is not known. */
	reason?: string;
	/** Set when another execution created it and this one took it over (spendMemory.ts): not a create of this execution. */
	reusedFrom?: string;
}

interface LedgerState {
	/** The execution that started this chain of retries. */
	root: string;
	entries: LedgerEntry[];
}

const CONTEXT_KEY = 'spendLedger';

/** Ledgers of failed and retried runs in this process, by workflow, node and root execution. */
const remembered = new Map<string, LedgerEntry[]>();
const REMEMBERED_CHAINS = 100;

/** Key order does not change a request: compare bodies in a canonical form. */
function canonical(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
	if (value && typeof value === 'object') {
		const entries = Object.keys(value as object)
			.sort()
			.filter((key) => (value as IDataObject)[key] !== undefined)
			.map((key) => `${JSON.stringify(key)}:${canonical((value as IDataObject)[key])}`);
		return `{${entries.join(',')}}`;
	}
	return JSON.stringify(value) ?? 'null';
}

/** What identifies a request for a retry: the body without its callback URL, in a canonical form. */
export function requestKey(body: IDataObject): string {
	return canonical({ ...body, callback_url: undefined });
}

function sameSend(a: LedgerEntry, b: LedgerEntry): boolean {
	return a.run === b.run && a.item === b.item && a.sentAt === b.sentAt && canonical(a.body) === canonical(b.body);
}

/** Adds what another copy of the ledger knows: sends it lacks, and outcomes learnt since. */
function merge(into: LedgerEntry[], from: LedgerEntry[]): void {
	for (const entry of from) {
		if (entry.status === 'reserved') continue;
		const known = into.find((candidate) => sameSend(candidate, entry));
		if (!known) into.push({ ...entry });
		else if (known.status !== 'created' && entry.status === 'created') Object.assign(known, entry);
	}
}

export class SpendLedger {
	private constructor(
		private readonly entries: LedgerEntry[],
		private readonly chainKey: string | undefined,
	) {}

	/** The ledger of this node in this execution (created empty on the first run). */
	static of(ctx: IExecuteFunctions): SpendLedger {
		const context: IContextObject = ctx.getContext('node');
		const saved = context[CONTEXT_KEY] as LedgerState | undefined;
		const state: LedgerState =
			saved && Array.isArray(saved.entries) ? saved : (context[CONTEXT_KEY] = { root: ctx.getExecutionId(), entries: [] });
		// A tool call outside any execution (an MCP client's, in regular mode) has no chain to retry.
		const chainKey = state.root ? `${ctx.getWorkflow().id ?? ''}:${ctx.getNode().name}:${state.root}` : undefined;
		const elsewhere = chainKey === undefined ? undefined : remembered.get(chainKey);
		if (elsewhere && elsewhere !== state.entries) merge(state.entries, elsewhere);
		return new SpendLedger(state.entries, chainKey);
	}

	/**
	 * Keeps this ledger in this process for a later Retry of the same failed execution. Called
	 * when the run fails (n8n retries the failed node) or runs as a retry (its original can be
	 * retried again).
	 */
	remember(): void {
		if (this.chainKey === undefined) return;
		remembered.delete(this.chainKey);
		remembered.set(this.chainKey, this.entries);
		if (remembered.size > REMEMBERED_CHAINS) remembered.delete(remembered.keys().next().value!);
	}

	/** Creates this node sent (or is about to send) in this execution, every run and try counted. */
	get spent(): number {
		return this.entries.filter((entry) => entry.reusedFrom === undefined).length;
	}

	/** What happened to this request (callback URL aside) of this item at this run index in an earlier try. */
	earlier(run: number, item: number, body: IDataObject): LedgerEntry | undefined {
		const key = requestKey(body);
		return this.entries.find(
			(entry) => entry.run === run && entry.item === item && entry.status !== 'reserved' && requestKey(entry.body) === key,
		);
	}

	/** Counts a create against the cap before it is sent. Synchronous: runs cannot interleave. */
	reserve(run: number, item: number, body: IDataObject): LedgerEntry {
		const entry: LedgerEntry = { run, item, body, status: 'reserved' };
		this.entries.push(entry);
		return entry;
	}

	/**
	 * Notes what another execution sent for this request, taken over by this one: the generation
	 * it created, or a create whose outcome is unknown (never sent again).
	 */
	adopt(run: number, item: number, body: IDataObject, outcome: Remembered, from: string): LedgerEntry {
		const entry: LedgerEntry =
			'created' in outcome
				? { run, item, body, status: 'created', created: outcome.created, reusedFrom: from }
				: { run, item, body, status: 'unknown', reason: outcome.unknown.reason, sentAt: outcome.unknown.sentAt, reusedFrom: from };
		this.entries.push(entry);
		return entry;
	}

	markSent(entry: LedgerEntry): void {
		entry.status = 'sent';
		entry.sentAt = new Date().toISOString();
	}

	markCreated(entry: LedgerEntry, created: LedgerEntry['created']): void {
		entry.status = 'created';
		entry.created = created;
	}

	markUnknown(entry: LedgerEntry, reason: string): void {
		entry.status = 'unknown';
		entry.reason = reason;
	}

	/** Whether the ledger still holds this entry (a released one cost nothing). */
	holds(entry: LedgerEntry): boolean {
		return this.entries.includes(entry);
	}

	/** Forgets a create that cost nothing: never sent, or certainly refused by the server. */
	release(entry: LedgerEntry): void {
		const index = this.entries.indexOf(entry);
		if (index >= 0) this.entries.splice(index, 1);
	}

	/**
	 * Closes a run's entries: reservations never sent are released, and a send that never came
	 * back (the run was cancelled or crashed mid-request) counts as unknown.
	 */
	settle(entries: LedgerEntry[], reason: string): void {
		for (const entry of entries) {
			if (entry.status === 'reserved') this.release(entry);
			else if (entry.status === 'sent') this.markUnknown(entry, reason);
		}
	}
}
