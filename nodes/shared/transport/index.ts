/**
 * The only module that speaks HTTP to the API:
 * - `api.ts`: the calls (create, fetch one, fetch many, download), on either API;
 * - `gateway.ts`: which API a request goes to, found out once per gateway;
 * - `luma.ts`, `unified.ts`: what differs between the two APIs (paths, bodies, how to wait);
 * - `probe.ts`: reading a free probe's answer (the credential test and the automatic choice), and
 *   sending the credential test's probes (n8n hands that test only its legacy `request` helper);
 * - `request.ts`: the request loop (`call`): sends, retries, turns failures into errors;
 * - `credentials.ts`: the credential of an item (Base URL, key, API setting) and its account key;
 * - `retry.ts`: what is retried, how often and how far apart;
 * - `errorStream.ts`: reading the error answer to a download;
 * - `createQueue.ts`: the account's one create queue in this process (creates-per-minute window,
 *   the running limit it learns, 429 pauses); `queued.ts`: a create's send through it;
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
export { accountKey, connection, CREDENTIAL_TYPE, DEFAULT_BASE_URL, normalizeBaseUrl, readApiSetting } from './credentials';
export { generationEnded } from './createQueue';
export type { QueueSettings } from './queued';
export type { GenerationHome } from './gateway';
export type { VideoApi } from './videoApi';
