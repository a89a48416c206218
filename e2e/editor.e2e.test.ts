/**
 * Our nodes in real n8n (`n8n start`) driven by real headless Chromium, against the emulator.
 * On n8n 2.x, the editor: the node panel finds them, their parameters render and follow the mode,
 * the showcase runs from the editor. On both lines, the form example as a visitor meets it: a real
 * form submission ends on a page playing the video, and the Failed and Timed Out pages say what
 * happened in plain words. Screenshots land in e2e/screenshots/ (on 1.x with a "1x-" prefix).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';

import { LumaEmulator } from '../test/emulator/emulator';
import { activate, executionReaching, itemsOut } from './lib/durable';
import type { Workflow } from './lib/examples';
import { exampleFiles, loadExample, writeCredentialFile, writeWorkflowFile } from './lib/examples';
import type { N8nHome, N8nRest, RunningN8n } from './lib/runtime';
import { describeOn, importFile, N8N_LINE, n8nVersion, OWNER, prepareHome, ROOT, startLoggedIn } from './lib/runtime';

const SCREENSHOTS = path.join(ROOT, 'e2e', 'screenshots');
const KEY = 'e2e-editor-key-81d2';
const FORM_ID = 'LumaFormVideo001';
const FORM_PATH = 'luma-video';
/** The form example with a 5 s Max Wait, so a slow video reaches the Timed Out page in a test. */
const SHORT_WAIT_ID = 'LumaFormShortWt1';
const SHORT_WAIT_PATH = 'luma-video-short-wait';
let emulator: LumaEmulator;
let home: N8nHome;
let n8n: RunningN8n;
let rest: N8nRest;
let browser: Browser;

async function shot(page: Page, name: string): Promise<void> {
	await page.screenshot({ path: path.join(SCREENSHOTS, `${N8N_LINE === '2x' ? '' : `${N8N_LINE}-`}${name}.png`) });
}

/** The form example under another id and path, with Luma Wait's Max Wait shortened. */
function shortWaitForm(): Workflow {
	const workflow = JSON.parse(JSON.stringify(loadExample('form-to-video.json'))) as Workflow;
	workflow.id = SHORT_WAIT_ID;
	workflow.name = `${workflow.name} (5 s Max Wait)`;
	for (const node of workflow.nodes) {
		if (node.type === 'n8n-nodes-base.formTrigger') {
			node.webhookId = randomUUID();
			node.parameters.options = { ...(node.parameters.options as object), path: SHORT_WAIT_PATH };
		}
		if (node.name === 'Luma Wait') node.parameters.maxWaitSeconds = 5;
	}
	return workflow;
}

beforeAll(async () => {
	mkdirSync(SCREENSHOTS, { recursive: true });
	emulator = await new LumaEmulator({ keys: [KEY], holdMs: 2_000, queuedMs: 1_000, dreamingMs: 2_000 }).start();
	home = await prepareHome('e2e-editor', process.env.E2E_TARBALL!, 5694);
	await importFile(home, 'credentials', writeCredentialFile(KEY, emulator.baseUrl));
	await importFile(home, 'workflow', writeWorkflowFile('e2e-examples', [...exampleFiles().map(loadExample), shortWaitForm()]));
	({ n8n, rest } = await startLoggedIn(home));
	// A form only answers when its workflow is active (published, in n8n 2.x's words).
	for (const id of [FORM_ID, SHORT_WAIT_ID]) await activate(rest, id);
	browser = await chromium.launch({
		executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
		args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
});

afterAll(async () => {
	await browser?.close();
	await n8n?.stop();
	await emulator?.stop();
});

// The editor's pages are n8n 2.x's; on 1.x only the form's tests run.
describeOn(['2x'], `the editor of n8n ${n8nVersion()}`, () => {
	let page: Page;

	beforeAll(async () => {
		page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
		await page.goto(`${n8n.url}/signin`);
		await page.fill('input[name=emailOrLdapLoginId]', OWNER.email);
		await page.fill('input[name=password]', OWNER.password);
		await page.click('[data-test-id=form-submit-button]');
		await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
	});

	afterAll(async () => {
		await page?.close();
	});

	test('the node panel finds Luma Generate and Luma Wait; Generate offers one action per mode', async () => {
		await page.goto(`${n8n.url}/workflow/LumaShowcase0001`);
		await page.locator('[data-test-id=canvas-node]').first().waitFor();
		await shot(page, '1-showcase-on-canvas');
		await page.click('[data-test-id=node-creator-plus-button]');
		await page.locator('[data-test-id=node-creator-search-bar]').waitFor();
		await page.keyboard.type('Luma');
		const names = page.locator('[data-test-id=node-creator-item-name]');
		await names.filter({ hasText: 'Luma Generate' }).first().waitFor();
		expect(await names.allTextContents()).toEqual(expect.arrayContaining(['Luma Generate', 'Luma Wait']));
		await shot(page, '2-node-panel-search');

		await names.filter({ hasText: 'Luma Generate' }).first().click();
		for (const action of ['Create a video from text', 'Create a video from images', 'Extend a video', 'Reverse extend a video', 'Interpolate between two videos']) {
			// Waits for the action to show (the list renders after the click); fails if it never does.
			await page.getByText(action, { exact: true }).waitFor({ state: 'visible' });
		}
		await shot(page, '3-luma-generate-actions');
	});

	test('a Luma Generate added to the canvas renders its parameters, and the mode switch shows the right fields', async () => {
		await page.getByText('Extend a video', { exact: true }).click();
		const ndv = page.locator('[data-test-id=ndv]');
		await ndv.waitFor();
		await page.locator('[data-test-id=parameter-input-generationId]').waitFor();
		for (const name of ['mode', 'prompt', 'generationId', 'endImageUrl', 'aspectRatio', 'model', 'resolution', 'duration', 'callbackUrl']) {
			expect(await page.locator(`[data-test-id=parameter-input-${name}]`).count()).toBe(1);
		}
		await shot(page, '4-extend-parameters');

		// Switch to Interpolate: two generation ids, no image and no loop.
		await page.locator('[data-test-id=parameter-input-mode]').click();
		await page.locator('.el-select-dropdown__item:visible', { hasText: 'Interpolate' }).click();
		await page.locator('[data-test-id=parameter-input-firstGenerationId]').waitFor();
		// The dropdown fades out after the pick: the screenshot waits until no option shows.
		await page.locator('.el-select-dropdown__item:visible').first().waitFor({ state: 'detached' });
		expect(await page.locator('[data-test-id=parameter-input-secondGenerationId]').count()).toBe(1);
		expect(await page.locator('[data-test-id=parameter-input-endImageUrl]').count()).toBe(0);
		expect(await page.locator('[data-test-id=parameter-input-loop]').count()).toBe(0);
		await shot(page, '5-interpolate-parameters');
		await page.click('[data-test-id=ndv-close-button]');
	});

	test('the showcase runs from the editor: Luma Wait routes one item to each output', async () => {
		await page.goto(`${n8n.url}/workflow/LumaShowcase0001`);
		page.once('dialog', (dialog) => void dialog.accept());
		await page.locator('[data-test-id=execute-workflow-button]').click();
		// The run takes the showcase's Max Wait (25 s) for its slow prompt.
		const execution = await waitForExecution('LumaShowcase0001', 120_000);
		expect(execution.status).toBe('success');
		// The canvas learns of the run's end after the REST API: wait for the three branches' "1 item" labels.
		await page.locator('[data-test-id=edge-label]', { hasText: '1 item' }).nth(2).waitFor();
		await shot(page, '6-showcase-executed');
		const outputs = page.locator('[data-test-id=canvas-node-output-handle]');
		expect(await outputs.count()).toBeGreaterThan(0);
		// Each branch node received exactly one item: the canvas labels its edge "1 item".
		for (const node of ['Finished videos', 'Failed generations', 'Still running']) {
			expect(await page.locator('[data-test-id=canvas-node]', { hasText: node }).count()).toBe(1);
		}
		expect(await page.locator('[data-test-id=edge-label]', { hasText: '1 item' }).count()).toBeGreaterThanOrEqual(3);
	});

	/** Polls n8n's REST API until the workflow's newest execution has ended. */
	async function waitForExecution(workflowId: string, timeoutMs: number): Promise<{ status: string }> {
		const deadline = Date.now() + timeoutMs;
		while (Date.now() < deadline) {
			const found = (await rest.request('GET', `/executions?filter=${encodeURIComponent(JSON.stringify({ workflowId }))}`)) as {
				results?: Array<{ status: string }>;
			};
			const latest = found.results?.[0];
			if (latest && !['new', 'running', 'waiting'].includes(latest.status)) return latest;
			await new Promise((resolve) => setTimeout(resolve, 1_000));
		}
		throw new Error(`workflow ${workflowId} did not finish in ${timeoutMs / 1000} s`);
	}
});

/** The parts of the page's <video> element the test reads (this project compiles without the DOM types). */
interface VideoElement {
	currentSrc: string;
	currentTime: number;
	paused: boolean;
	readyState: number;
	videoWidth: number;
	videoHeight: number;
	error: { message: string } | null;
	getVideoPlaybackQuality(): { totalVideoFrames: number };
}

/** What the video element on the page is doing. */
interface VideoState {
	src: string;
	currentTime: number;
	paused: boolean;
	readyState: number;
	decodedFrames: number;
	width: number;
	height: number;
	error: string | null;
}

describe(`the form example on n8n ${n8nVersion()}, as a visitor sees it in Chromium`, () => {
	let visitor: BrowserContext;
	let page: Page;

	// A visitor is nobody logged in to n8n: a fresh browser profile per test.
	beforeEach(async () => {
		emulator.resetCounters();
		visitor = await browser.newContext({ viewport: { width: 1440, height: 900 } });
		page = await visitor.newPage();
	});

	afterEach(async () => {
		await visitor?.close();
	});

	/** Opens the form at `formPath`, fills it in and sends it. */
	async function submitForm(formPath: string, prompt: string, aspectRatio: string, screenshot?: string): Promise<void> {
		await page.goto(`${n8n.url}/form/${formPath}`);
		await page.locator('textarea').first().fill(prompt);
		await page.locator('select').first().selectOption(aspectRatio);
		if (screenshot) await shot(page, screenshot);
		await page.getByRole('button', { name: /submit/i }).click();
	}

	/** The emulator's generation for `prompt` (each test sends its own). */
	function generationOf(prompt: string): { id: string } {
		const found = [...emulator.generations.values()].filter((generation) => generation.request.prompt === prompt);
		expect(found).toHaveLength(1);
		return found[0];
	}

	/** The page's visible text once `title` is shown. */
	async function pageTextOnce(title: string): Promise<string> {
		await page.getByText(title).waitFor({ timeout: 120_000 });
		return await page.locator('body').innerText();
	}

	test('a submission ends on a page that plays the finished video', async () => {
		const prompt = 'A paper boat sailing down a rainy street';
		// 16:9, the emulator's sample video's own shape.
		await submitForm(FORM_PATH, prompt, '16:9', '7-form');
		await page.getByText('Your video is ready').waitFor({ timeout: 120_000 });

		// Playing: past its start, not paused, and with decoded frames to show.
		const handle = await page.waitForFunction(
			() => {
				const { document } = globalThis as unknown as { document: { querySelector(selector: string): VideoElement | null } };
				const video = document.querySelector('video');
				if (!video || video.readyState < 2 || video.currentTime <= 0 || video.paused) return false;
				const decodedFrames = video.getVideoPlaybackQuality().totalVideoFrames;
				if (decodedFrames < 1) return false;
				return {
					src: video.currentSrc,
					currentTime: video.currentTime,
					paused: video.paused,
					readyState: video.readyState,
					decodedFrames,
					width: video.videoWidth,
					height: video.videoHeight,
					error: video.error?.message ?? null,
				};
			},
			undefined,
			{ timeout: 60_000, polling: 200 },
		);
		const playing = (await handle.jsonValue()) as VideoState;
		await shot(page, '8-form-video-ready');

		const generation = generationOf(prompt);
		expect(playing).toEqual(expect.objectContaining({ src: `${emulator.baseUrl}/assets/${generation.id}.mp4`, paused: false, error: null }));
		expect(playing.width).toBeGreaterThan(0);
		expect(await page.getByRole('link', { name: 'Open the video on its own page' }).getAttribute('href')).toBe(playing.src);
		expect(emulator.log.filter((entry) => entry.endpoint === 'create').map((entry) => entry.body)).toEqual([
			expect.objectContaining({ prompt, aspect_ratio: '16:9' }),
		]);
		// The browser fetched the video itself, without the API key; Luma Wait also downloaded it
		// (with the key: it is the API's own host) so the workflow owner keeps a copy.
		const assets = emulator.log.filter((entry) => entry.endpoint === 'asset');
		expect(assets.filter((entry) => entry.authorization === undefined).length).toBeGreaterThanOrEqual(1);
		expect(assets.filter((entry) => entry.authorization === `Bearer ${KEY}`)).toHaveLength(1);
		const execution = await executionReaching(rest, FORM_ID, ['success']);
		expect(itemsOut(execution, 'Show the video').map((item) => item.json.id)).toEqual([generation.id]);
	});

	test('a generation that fails ends on a page that says so in plain words; the reason stays in the execution', async () => {
		// Not the showcase's prompts: those run in the editor's tests.
		const prompt = 'A storm over the harbour, refused by moderation [fail]';
		await submitForm(FORM_PATH, prompt, '16:9');
		const text = await pageTextOnce('Sorry, your video could not be made');
		await shot(page, '9-form-video-failed');
		expect(text).toContain('Please change your description and send the form again.');
		const generation = generationOf(prompt);
		expect(text).not.toContain(generation.id);
		expect(text).not.toMatch(/blacklisted|generation|failureReason|error/i);

		const execution = await executionReaching(rest, FORM_ID, ['success']);
		expect(itemsOut(execution, 'Luma Wait', 1).map((item) => [item.json.id, item.json.failureReason])).toEqual([[generation.id, 'Contains blacklisted words']]);
	});

	test('a video still being made after Max Wait ends on a page that says so, and not to send the form again', async () => {
		const prompt = 'A snail crossing a garden path, very slowly [slow]';
		await submitForm(SHORT_WAIT_PATH, prompt, '21:9');
		const text = await pageTextOnce('Your video is taking longer than usual');
		await shot(page, '10-form-video-timed-out');
		expect(text).toContain('there is no need to send the form again');
		const generation = generationOf(prompt);
		expect(text).not.toContain(generation.id);
		expect(text).not.toMatch(/queued|dreaming|timed ?out|generation/i);
		expect(emulator.acceptedCreates).toBe(1);

		const execution = await executionReaching(rest, SHORT_WAIT_ID, ['success']);
		expect(itemsOut(execution, 'Luma Wait', 2).map((item) => [item.json.id, item.json.timedOut])).toEqual([[generation.id, true]]);
	});
});
