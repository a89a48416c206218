/**
 * Reading the API's answers: the one place that knows the state order and every shape a
 * generation comes back in (docs/API.md §5, §9.3).
 */
import type { IDataObject } from 'n8n-workflow';

export const LUMA_STATES = ['queued', 'dreaming', 'completed', 'failed'] as const;
export type LumaState = (typeof LUMA_STATES)[number];

/** Aliases seen from other gateways of the same family. */
const STATE_ALIASES: Record<string, LumaState> = {
	queued: 'queued',
	pending: 'queued',
	dreaming: 'dreaming',
	generating: 'dreaming',
	completed: 'completed',
	failed: 'failed',
	error: 'failed',
};

/** A state's place in the order queued (0) → dreaming (1) → completed (2) → failed (3) (docs/API.md §5.1). */
export function stateRank(state: LumaState): number {
	return LUMA_STATES.indexOf(state);
}

/** The long poll's rule: a wait for `target` ends on `target` or any later state. */
export function hasReached(state: LumaState, target: LumaState): boolean {
	return stateRank(state) >= stateRank(target);
}

export interface Generation {
	id: string;
	state: LumaState;
	failureReason: string | null;
	videoUrl: string | null;
	thumbnailUrl: string | null;
	createdAt: string | null;
	model: string | null;
	/** What the server says the generation cost, in tokens (`meta.usage.credits_used`); null when it does not say. */
	creditsUsed: number | null;
	/** What the server says it cost in US dollars (`meta.usage.usd_spent`, reported for Ray 3.2); null when it does not say. */
	usdSpent: number | null;
	/** The body exactly as the server sent it. */
	raw: IDataObject;
}

/** Thrown when an answer cannot be read; the transport turns it into a NodeApiError. */
export class UnreadableAnswerError extends Error {}

/** A short, single-line excerpt of a server answer for error messages. */
export function excerpt(value: unknown, max = 200): string {
	let text: string;
	if (typeof value === 'string') text = value;
	else {
		try {
			text = JSON.stringify(value) ?? String(value);
		} catch {
			text = String(value);
		}
	}
	text = text.replace(/\s+/g, ' ').trim();
	return text.length > max ? `${text.slice(0, max)}…` : text;
}

function isObject(value: unknown): value is IDataObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOrNull(value: unknown): string | null {
	return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * A state name in either API's words (`generating`, `error`, `pending` too) as the nodes' own;
 * throws UnreadableAnswerError quoting `body` for any other value.
 */
export function readState(value: unknown, body: unknown): LumaState {
	const state = typeof value === 'string' ? STATE_ALIASES[value.toLowerCase()] : undefined;
	if (!state) {
		throw new UnreadableAnswerError(
			`The server answered with an unknown generation state ${JSON.stringify(value)}: ${excerpt(body)}`,
		);
	}
	return state;
}

/** Reads one generation in any known shape (docs/API.md §5.2, §5.3); throws UnreadableAnswerError without an object, an id or a known state. */
export function normalizeGeneration(body: unknown): Generation {
	if (!isObject(body)) {
		throw new UnreadableAnswerError(`The server's answer is not a generation: ${excerpt(body)}`);
	}
	const id = body.id;
	if (typeof id !== 'string' || id === '') {
		throw new UnreadableAnswerError(`The server's answer has no generation id: ${excerpt(body)}`);
	}
	const assets = isObject(body.assets) ? body.assets : {};
	const video = body.video;
	const failure = body.failure_reason ?? body.error;
	return {
		id,
		state: readState(body.state ?? body.status, body),
		failureReason:
			stringOrNull(failure) ?? (isObject(failure) ? stringOrNull(failure.message) : null),
		videoUrl:
			stringOrNull(assets.video) ??
			(isObject(video) ? stringOrNull(video.url) : stringOrNull(video)) ??
			stringOrNull(body.video_url),
		thumbnailUrl:
			stringOrNull(assets.image) ?? stringOrNull(body.thumbnail_url) ?? stringOrNull(body.image_url),
		createdAt: stringOrNull(body.created_at),
		model: stringOrNull(body.model),
		creditsUsed: readUsage(body, 'credits_used'),
		usdSpent: readUsage(body, 'usd_spent'),
		raw: body,
	};
}

/** A cost in `meta.usage` (docs/API.md §8): `credits_used` in tokens, `usd_spent` in US dollars; null unless a number ≥ 0. */
function readUsage(body: IDataObject, field: 'credits_used' | 'usd_spent'): number | null {
	const meta = isObject(body.meta) ? body.meta : {};
	const usage = isObject(meta.usage) ? meta.usage : {};
	const value = typeof usage[field] === 'string' ? Number(usage[field]) : usage[field];
	return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

/** Reads the fetch-many answer: a bare array, or an object holding one under `generations`, `data` or `items`; throws UnreadableAnswerError otherwise. */
export function normalizeGenerations(body: unknown): Generation[] {
	let list: unknown = body;
	if (isObject(body)) {
		list = [body.generations, body.data, body.items].find((candidate) => Array.isArray(candidate));
	}
	if (!Array.isArray(list)) {
		throw new UnreadableAnswerError(
			`The server's answer to a fetch of several generations holds no list: ${excerpt(body)}`,
		);
	}
	return list.map(normalizeGeneration);
}

/** Luma ids are UUIDs; some gateways add a suffix such as `:luma/ray-2`. */
const UUID_WITH_SUFFIX = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(:[^\s]+)?$/i;

/** The bare UUID of a generation id, or undefined when it is not one (with or without suffix). */
export function generationUuid(value: string): string | undefined {
	return UUID_WITH_SUFFIX.exec(value.trim())?.[1];
}
