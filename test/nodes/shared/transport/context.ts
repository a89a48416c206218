/**
 * A node's context reduced to what the transport uses, for tests of the transport's own choices
 * (which API, which outcome when) without a workflow around them. Requests go over real HTTP to
 * the emulator, with the key as the credential's header, and are aborted on the context's cancel
 * signal as n8n-core's `httpRequestWithAuthentication` does.
 */
import type { IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';

export interface TestContext {
	ctx: IExecuteFunctions;
	/** Stops the "execution": every request and pause on the context's signal ends. */
	cancel(): void;
}

function withQuery(options: IHttpRequestOptions): string {
	const url = new URL(options.url);
	for (const [name, value] of Object.entries(options.qs ?? {})) {
		if (Array.isArray(value)) value.forEach((one) => url.searchParams.append(`${name}[]`, String(one)));
		else if (value !== undefined) url.searchParams.append(name, String(value));
	}
	return url.toString();
}

async function send(this: IExecuteFunctions, apiKey: string | undefined, options: IHttpRequestOptions) {
	const signal = this.getExecutionCancelSignal?.();
	const timeout = AbortSignal.timeout(options.timeout ?? 60_000);
	const response = await fetch(withQuery(options), {
		method: options.method ?? 'GET',
		headers: { ...(options.headers as Record<string, string>), ...(apiKey ? { Authorization: `Bearer ${apiKey}` } : {}) },
		body: typeof options.body === 'string' ? options.body : undefined,
		signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
		redirect: 'follow',
	});
	return { statusCode: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
}

/** A context whose credential is `credentials` (Base URL, key, API setting) for every item. */
export function testContext(credentials: { baseUrl: string; apiKey: string; api?: string }): TestContext {
	const controller = new AbortController();
	const ctx = {
		getCredentials: async () => ({ ...credentials }),
		getNode: () => ({ id: 'node-test', name: 'Test', type: 'test', typeVersion: 1, position: [0, 0], parameters: {} }),
		getExecutionCancelSignal: () => controller.signal,
		logger: { info() {}, warn() {}, debug() {}, error() {} },
		helpers: {
			httpRequestWithAuthentication(this: IExecuteFunctions, _type: string, options: IHttpRequestOptions, extra?: { credentialsDecrypted?: { data?: { apiKey?: string } } }) {
				return send.call(this, extra?.credentialsDecrypted?.data?.apiKey ?? credentials.apiKey, options);
			},
			httpRequest(this: IExecuteFunctions, options: IHttpRequestOptions) {
				return send.call(ctx, undefined, options);
			},
		},
	} as unknown as IExecuteFunctions;
	return { ctx, cancel: () => controller.abort() };
}
