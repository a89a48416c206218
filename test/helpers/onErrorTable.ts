/**
 * The On Error table: good and bad items for Luma Generate → Luma Wait, the faults the server
 * meets them with, and where each item must land under each On Error setting. One table for the
 * engine tests (`test/workflows/onError.test.ts`) and real n8n (`e2e/on-error.e2e.test.ts`), so both
 * check the same behaviour. Every expected value is written out here, not derived from the nodes.
 */
import type { LumaEmulator } from '../emulator/emulator';

type Json = Record<string, unknown>;

/** A generation id no server knows (a valid UUID). */
export const UNKNOWN_ID = '11111111-2222-4333-8444-555555555555';
const IMAGE = 'https://example.com/first-frame.jpg';

/**
 * The items, in input order. `waitFor` makes Luma Wait ask about another id than the one
 * Luma Generate created (`generationId: {{ $json.waitFor || $json.id }}`); `download` asks
 * Luma Wait to download the video.
 */
export const ON_ERROR_ITEMS: readonly Json[] = [
	{ sku: 'A', prompt: 'A lantern festival', image: IMAGE },
	{ sku: 'B', prompt: '', image: IMAGE },
	{ sku: 'C', prompt: 'A quiet library', image: 'not a url' },
	{ sku: 'D', prompt: 'A request the server refuses', image: IMAGE },
	{ sku: 'E', prompt: 'A key the server refuses', image: IMAGE },
	{ sku: 'U', prompt: 'An answer lost after billing', image: IMAGE },
	{ sku: 'F', prompt: 'A banned scene [fail]', image: IMAGE },
	{ sku: 'G', prompt: 'A video whose download breaks', image: IMAGE, download: true },
	{ sku: 'H', prompt: 'A harbour at dawn', image: IMAGE, waitFor: UNKNOWN_ID },
	{ sku: 'I', prompt: 'A mountain pass', image: IMAGE, waitFor: 'not-a-generation-id' },
];

/** The item of ON_ERROR_ITEMS with this sku. */
export function onErrorItem(sku: string): Json {
	const item = ON_ERROR_ITEMS.find((candidate) => candidate.sku === sku);
	if (!item) throw new Error(`no item ${sku} in the On Error table`);
	return item;
}

/** Luma Generate's parameters: image to video, so one item can carry an invalid image URL. */
export const ON_ERROR_GENERATE_PARAMETERS = {
	mode: 'imageToVideo',
	prompt: '={{ $json.prompt }}',
	startImageUrl: '={{ $json.image }}',
	options: { createsPerMinute: 600 },
};

/** Luma Wait's parameters behind Luma Generate. */
export const ON_ERROR_WAIT_PARAMETERS = {
	generationId: '={{ $json.waitFor || $json.id }}',
	maxWaitSeconds: 120,
	downloadVideo: '={{ $json.download === true }}',
};

/**
 * What each bad item's error says, wherever it lands. Luma Generate numbers the items of the
 * whole table (B is item 1, C item 2); Luma Wait numbers the items it receives.
 */
export const ON_ERROR_MESSAGES: Record<string, RegExp> = {
	B: /^Prompt is empty \[item 1\]$/,
	C: /^Start Image URL "not a url" is not an http\(s\) URL \[item 2\]$/,
	D: /^Creating the generation for item 3 failed with HTTP 400/,
	E: /^Creating the generation for item 4 failed with HTTP 401/,
	U: /may have been created and billed/,
	G: /^Downloading the video for item \d+ failed with HTTP 404.*\(generation .+ completed; video URL: http/,
	H: /^Fetching generation 11111111-2222-4333-8444-555555555555 failed with HTTP 404/,
	I: /^Generation ID "not-a-generation-id" is not a generation ID \[item \d+\]$/,
};

/** The items Luma Generate cannot create: each an error item (Continue) or on its error output. */
export const GENERATE_FAILS = ['B', 'C', 'D', 'E', 'U'];

/** Where each item lands, by On Error setting (skus in output order). */
export const ON_ERROR_EXPECTED = {
	continueRegularOutput: {
		/** Luma Generate's one output: every item, in input order. */
		generated: ['A', 'B', 'C', 'D', 'E', 'U', 'F', 'G', 'H', 'I'],
		completed: ['A', 'G'],
		/** Sorted: Luma Wait's Failed output holds the failed generation and every error item. */
		failedSorted: ['B', 'C', 'D', 'E', 'F', 'H', 'I', 'U'],
		timedOut: [] as string[],
	},
	continueErrorOutput: {
		generated: ['A', 'F', 'G', 'H', 'I'],
		generateError: ['B', 'C', 'D', 'E', 'U'],
		completed: ['A'],
		failed: ['F'],
		timedOut: [] as string[],
		waitError: ['G', 'H', 'I'],
	},
};

/** The prompts the server accepts (and bills), each once, whatever the setting. */
export const ON_ERROR_BILLED: Record<string, number> = {
	'A lantern festival': 1,
	'An answer lost after billing': 1,
	'A banned scene [fail]': 1,
	'A video whose download breaks': 1,
	'A harbour at dawn': 1,
	'A mountain pass': 1,
};

/** Scripts the server's faults for one run of the table: the refused creates, the lost answer, the broken download. */
export function scriptOnErrorFaults(emulator: LumaEmulator): void {
	emulator.failNext(
		'create',
		{ kind: '400', forPrompt: 'A request the server refuses' },
		{ kind: '401', forPrompt: 'A key the server refuses' },
		{ kind: '502', afterAccept: true, forPrompt: 'An answer lost after billing' },
	);
	emulator.failNext('asset', '404');
}
