/**
 * The only module that speaks HTTP to the API:
 * - `api.ts`: the four calls (create, fetch one, fetch many, download);
 * - `request.ts`: the request loop, its retries, and the credential's connection;
 * - `errors.ts`: every error text a user reads when a request fails;
 * - `answer.ts`: reading a body as JSON and the Retry-After header.
 */
export {
	BATCH_REFUSED,
	createGeneration,
	downloadVideo,
	fetchGeneration,
	fetchGenerations,
	GENERATION_PATH,
	GENERATIONS_PATH,
	isApiHost,
	TOKENS_PER_CREATE,
} from './api';
export type { FetchOptions } from './api';
export { retryAfterMs } from './answer';
export { cancelledError, certainlyNotCreated, isTransient } from './errors';
export { CREDENTIAL_TYPE, DEFAULT_BASE_URL, normalizeBaseUrl } from './request';
