/**
 * The only module that speaks HTTP to the API:
 * - `api.ts`: the calls (create, fetch one, fetch many, download), on either API;
 * - `gateway.ts`: which API a request goes to, found out once per gateway;
 * - `luma.ts`, `unified.ts`: what differs between the two APIs (paths, bodies, how to wait);
 * - `probe.ts`: reading a free probe's answer (the credential test and the automatic choice);
 * - `request.ts`: the request loop, its retries, and the credential's connection;
 * - `createQueue.ts`: the account's one create queue in this process (rate, 429 pauses);
 * - `errors.ts`: every error text a user reads when a request fails;
 * - `answer.ts`: reading a body as JSON and the Retry-After header.
 */
export { BATCH_REFUSED, createGeneration, downloadVideo, fetchGeneration, fetchGenerations, isApiHost } from './api';
export type { CreatedGeneration, FetchOptions } from './api';
export { retryAfterMs } from './answer';
export { cancelledError, certainlyNotCreated, isTransient } from './errors';
export { APIS, apiForGeneration, servedApis } from './gateway';
export { GENERATION_PATH, GENERATIONS_PATH } from './luma';
export { UNIFIED_PATH } from './unified';
export { accountKey, connection, CREDENTIAL_TYPE, DEFAULT_BASE_URL, normalizeBaseUrl, readApiSetting } from './request';
export type { QueueSettings } from './request';
export type { GenerationHome } from './gateway';
export type { VideoApi } from './videoApi';
