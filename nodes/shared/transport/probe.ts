/**
 * Telling which of the gateway's APIs answers at a Base URL, and whether it took the key, from
 * one free read of a generation that does not exist. Shared by the credential test and the
 * nodes' automatic choice of API, so both read the same answer the same way. The credential
 * test's read is sent here too (`credentialTestProbe`); the nodes' goes through `request.ts`.
 */
import type { ICredentialTestFunctions } from 'n8n-workflow';

import { excerpt } from '../generation';
import { NO_SUCH_ROUTE, redact } from './errors';
import type { VideoApi } from './videoApi';

/** A generation id no server has: a read of it creates nothing and costs nothing. */
export const PROBE_GENERATION_ID = '00000000-0000-4000-8000-000000000000';

export type ProbeVerdict =
	/** The route exists and answered as the API does (it knew nothing of the probe id): the key was taken. */
	| { kind: 'served' }
	/** The key was taken but the account has no credits left (HTTP 403). */
	| { kind: 'noCredits' }
	/** No such route here (404/405/410 without a word about the generation). */
	| { kind: 'noRoute'; status: number }
	| { kind: 'keyRefused'; status: number }
	/** An answer, but not from the API (a web page, a redirect, JSON of another service). */
	| { kind: 'notApi'; what: string }
	/** The server is in trouble or limiting requests: nothing can be concluded now. */
	| { kind: 'trouble'; status: number; message: string };

function parse(body: unknown): unknown {
	if (typeof body !== 'string') return body;
	try {
		return JSON.parse(body);
	} catch {
		return undefined;
	}
}

function messageOf(json: unknown): string {
	if (!json || typeof json !== 'object') return '';
	const data = json as Record<string, unknown>;
	const raw = data.message ?? data.detail ?? data.error;
	return typeof raw === 'string' ? raw : excerpt(raw ?? '');
}

function looksLikeGeneration(json: unknown): boolean {
	if (Array.isArray(json)) return true;
	if (!json || typeof json !== 'object') return false;
	const data = json as Record<string, unknown>;
	return typeof data.id === 'string' && (data.state !== undefined || data.status !== undefined);
}

function describeNonJson(body: unknown): string {
	const text = typeof body === 'string' ? body : '';
	if (/<html|<!doctype/i.test(text)) return 'a web page (HTML)';
	return text.trim() === '' ? 'an empty answer' : `text that is not JSON ("${excerpt(text, 60)}")`;
}

/** Reads the answer to a read of PROBE_GENERATION_ID. `status` 0 is not used: network failures are the caller's. */
export function classifyProbe(status: number, body: unknown): ProbeVerdict {
	const json = parse(body);
	const message = messageOf(json);
	if (status === 401) return { kind: 'keyRefused', status };
	if (status === 403) return json === undefined ? { kind: 'notApi', what: `HTTP 403 with ${describeNonJson(body)}` } : { kind: 'noCredits' };
	if (status === 404 || status === 405 || status === 410) {
		// A route that exists says the generation is unknown; a missing one says "Cannot GET /path".
		const aboutTheGeneration = /generation/i.test(message) && !NO_SUCH_ROUTE.test(message);
		return json !== undefined && (aboutTheGeneration || message.includes(PROBE_GENERATION_ID)) ? { kind: 'served' } : { kind: 'noRoute', status };
	}
	if (status === 400 || status === 422) {
		return json === undefined ? { kind: 'notApi', what: `HTTP ${status} with ${describeNonJson(body)}` } : { kind: 'served' };
	}
	if (status === 408 || status === 429 || status >= 500) {
		return { kind: 'trouble', status, message: message || (json === undefined ? describeNonJson(body) : excerpt(json)) };
	}
	if (status >= 200 && status < 300) {
		if (json === undefined) return { kind: 'notApi', what: describeNonJson(body) };
		return looksLikeGeneration(json) ? { kind: 'served' } : { kind: 'notApi', what: `JSON that is not a generation (${excerpt(json, 80)})` };
	}
	if (status >= 300 && status < 400) return { kind: 'notApi', what: `a redirect (HTTP ${status})` };
	return { kind: 'notApi', what: `HTTP ${status}` };
}

export interface Diagnosis {
	/** The APIs that answered and took the key. */
	served: Array<'luma' | 'unified'>;
	/** Set when nothing usable answered: what is wrong, and what to fix. */
	problem?: { message: string; fix: string };
}

/**
 * One verdict from the reads of both APIs (or of the one the credential names): which are
 * served, or what the user must fix. `baseUrl` is named in the messages.
 */
export function diagnose(verdicts: Partial<Record<'luma' | 'unified', ProbeVerdict>>, baseUrl: string): Diagnosis {
	const entries = Object.entries(verdicts) as Array<['luma' | 'unified', ProbeVerdict]>;
	const kinds = entries.map(([, verdict]) => verdict);
	const served = entries.filter(([, verdict]) => verdict.kind === 'served' || verdict.kind === 'noCredits').map(([name]) => name);
	const refused = kinds.find((verdict) => verdict.kind === 'keyRefused');
	if (refused) {
		return {
			served: [],
			problem: {
				message: `The API key was refused (HTTP ${(refused as { status: number }).status})`,
				fix: 'Check the API Key in the Apilaplas API credential: copy it again from your Apilaplas dashboard.',
			},
		};
	}
	if (kinds.some((verdict) => verdict.kind === 'noCredits')) {
		return {
			served,
			problem: { message: 'The API key was accepted, but the account is out of credits (HTTP 403)', fix: 'Top up your Apilaplas balance, then test again.' },
		};
	}
	if (served.length > 0) return { served };
	const trouble = kinds.find((verdict) => verdict.kind === 'trouble') as Extract<ProbeVerdict, { kind: 'trouble' }> | undefined;
	if (trouble) {
		return {
			served,
			problem: {
				message: `The server at ${baseUrl} answered HTTP ${trouble.status} (${trouble.message}), so the key could not be checked`,
				fix: trouble.status === 429 ? 'Too many requests right now: test again in a minute.' : 'The gateway or the model is in trouble: test again later.',
			},
		};
	}
	const notApi = kinds.find((verdict) => verdict.kind === 'notApi') as Extract<ProbeVerdict, { kind: 'notApi' }> | undefined;
	const path = new URL(baseUrl).pathname.replace(/\/+$/, '');
	const pathHint = path ? ` The Base URL ends in "${path}": the nodes add the API's paths (/v2/...) themselves, so it should most likely be ${new URL(baseUrl).origin}.` : '';
	if (notApi) {
		return {
			served,
			problem: {
				message: `${baseUrl} is not the Apilaplas API: it answered with ${notApi.what}`,
				fix: `Set Base URL to the API's address (e.g. https://api.apilaplas.com), not a dashboard or docs page.${pathHint}`,
			},
		};
	}
	return {
		served,
		problem: {
			message: `Neither of the gateway's Luma APIs answers at ${baseUrl} (no such route: HTTP ${kinds.map((verdict) => (verdict as { status?: number }).status ?? '?').join(' and ')})`,
			fix: `Check the Base URL.${pathHint || ' It should be the address of an Apilaplas-compatible gateway, e.g. https://api.apilaplas.com.'}`,
		},
	};
}

/** How long the credential test waits for each read: the dialog should not hang for a minute. */
const CREDENTIAL_TEST_TIMEOUT_MS = 20_000;

/** What the credential test's read of one API gave: a verdict on its answer, or the network failure's code. */
export type CredentialTestProbe = { verdict: ProbeVerdict } | { networkCode: string };

/** The parts of n8n's legacy request answer (and thrown error) the probe reads. */
interface LegacyAnswer {
	statusCode?: number;
	status?: number;
	body?: unknown;
	data?: unknown;
	error?: unknown;
	response?: LegacyAnswer;
	code?: string;
	cause?: { code?: string };
}

/**
 * The credential test's free read of PROBE_GENERATION_ID on `api` at `baseUrl` (no trailing
 * slash), with `apiKey` (trimmed) as the Bearer token. n8n hands a node-defined credential test
 * only its legacy `request` helper (n8n 1.x and 2.x alike), not `httpRequestWithAuthentication`,
 * so the key is set here. The key goes to `baseUrl` only: redirects are not followed (they could
 * lead elsewhere). Times out after 20 s. Never throws: a failure without an HTTP status comes
 * back as its network code (e.g. ECONNREFUSED, or 'no answer'); a body the server echoed the
 * key in is read with the key redacted.
 */
export async function credentialTestProbe(ctx: ICredentialTestFunctions, baseUrl: string, apiKey: string, api: VideoApi): Promise<CredentialTestProbe> {
	let answer: LegacyAnswer;
	try {
		answer = (await ctx.helpers.request({
			method: 'GET',
			uri: `${baseUrl}${api.fetchPath}`,
			qs: api.fetchQuery(PROBE_GENERATION_ID),
			headers: { Authorization: `Bearer ${apiKey}`, Accept: 'application/json' },
			json: false,
			simple: false,
			resolveWithFullResponse: true,
			followRedirect: false,
			followAllRedirects: false,
			timeout: CREDENTIAL_TEST_TIMEOUT_MS,
		})) as LegacyAnswer;
	} catch (error) {
		// Some n8n versions throw on an HTTP error status even with `simple: false`: read it all the same.
		const thrown = error as LegacyAnswer;
		const status = thrown.statusCode ?? thrown.response?.statusCode ?? thrown.response?.status;
		if (typeof status !== 'number') return { networkCode: thrown.code ?? thrown.cause?.code ?? 'no answer' };
		answer = { statusCode: status, body: thrown.response?.body ?? thrown.response?.data ?? thrown.error };
	}
	const status = answer.statusCode ?? answer.status ?? 0;
	const body = answer.body ?? answer.data;
	// The verdict may quote the body: read it as text, with any echo of the key taken out.
	const text = body === undefined || typeof body === 'string' ? body : JSON.stringify(body);
	return { verdict: classifyProbe(status, text === undefined ? undefined : redact(text, apiKey)) };
}
