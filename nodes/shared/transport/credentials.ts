/**
 * Reading the credential: the Base URL, the API key and the API setting of one item, and the
 * account they make (docs/API.md §1.2). Every request of an item goes with its own credential.
 */
import { createHash } from 'node:crypto';

import type { ICredentialDataDecryptedObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { excerpt } from '../generation';

export const CREDENTIAL_TYPE = 'apilaplasApi';
export const DEFAULT_BASE_URL = 'https://api.apilaplas.com';

/** The credential's API setting: which of the gateway's APIs to use, or find out (`auto`). */
export type ApiSetting = 'auto' | 'luma' | 'unified';

export interface Connection {
	baseUrl: string;
	apiKey: string;
	api: ApiSetting;
	/** The credential as n8n resolved it for the item: handed back to n8n with each keyed request. */
	credential: ICredentialDataDecryptedObject;
}

/** Reads the credential's API setting; credentials saved before it existed mean `auto`. */
export function readApiSetting(raw: unknown): ApiSetting {
	return raw === 'luma' || raw === 'unified' ? raw : 'auto';
}

/**
 * Reads the credential's base URL: trimmed, trailing slashes dropped, http(s) only; empty means
 * DEFAULT_BASE_URL. Throws an Error saying how to write it when it is not an http(s) URL.
 */
export function normalizeBaseUrl(raw: unknown): string {
	const text = typeof raw === 'string' ? raw.trim() : '';
	if (text === '') return DEFAULT_BASE_URL;
	const url = parseUrl(text);
	if (!url) {
		throw new Error(
			`The Base URL "${excerpt(text, 80)}" is not a URL: write it with its scheme, e.g. ${DEFAULT_BASE_URL}`,
		);
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		throw new Error(
			`The Base URL "${excerpt(text, 80)}" must start with http:// or https://, e.g. ${DEFAULT_BASE_URL}`,
		);
	}
	return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** A URL, or undefined when `text` is not one (never throws). */
export function parseUrl(text: string): URL | undefined {
	try {
		return new URL(text);
	} catch {
		return undefined;
	}
}

/** Connections of a node run, by the item whose credential they hold. */
const connections = new WeakMap<object, Map<number, Promise<Connection>>>();

/**
 * The credential as n8n resolves it for one item: a field may be an expression
 * (`{{ $json.apiKey }}`), so two items of one run can be two accounts.
 */
async function readConnection(ctx: IExecuteFunctions, itemIndex: number): Promise<Connection> {
	const credential = await ctx.getCredentials(CREDENTIAL_TYPE, itemIndex);
	let baseUrl: string;
	try {
		baseUrl = normalizeBaseUrl(credential.baseUrl);
	} catch (error) {
		throw new NodeOperationError(ctx.getNode(), (error as Error).message, {
			itemIndex,
			description: 'Fix the Base URL in the Apilaplas API credential.',
		});
	}
	const apiKey = typeof credential.apiKey === 'string' ? credential.apiKey.trim() : '';
	return { baseUrl, apiKey, api: readApiSetting(credential.api), credential: { ...credential, apiKey, baseUrl } };
}

/**
 * The connection (Base URL, key, API setting) for an item, read once per item and node run.
 * Every request of an item (probe, create, reads, download) goes with this item's credential.
 * Rejects with a NodeOperationError naming the item when its Base URL is not a URL.
 */
export function connection(ctx: IExecuteFunctions, itemIndex = 0): Promise<Connection> {
	let byItem = connections.get(ctx);
	if (!byItem) connections.set(ctx, (byItem = new Map()));
	let found = byItem.get(itemIndex);
	if (!found) {
		found = readConnection(ctx, itemIndex);
		found.catch(() => byItem.delete(itemIndex));
		byItem.set(itemIndex, found);
	}
	return found;
}

/**
 * An account (Base URL and API key) as a key of process maps: a SHA-256 hex digest, so the key
 * itself is never kept as a map key. (n8n's community package scanner allows `node:crypto`.)
 */
export function accountKey(conn: Pick<Connection, 'baseUrl' | 'apiKey'>): string {
	return createHash('sha256').update(`${conn.baseUrl}\n${conn.apiKey}`).digest('hex');
}
