/**
 * Our nodes in the real n8n editor (`n8n start`) driven by real headless Chromium, against the
 * emulator: the node panel finds them, their parameters render and follow the mode, the
 * showcase runs from the editor, and the form example answers a real form submission.
 * Screenshots land in e2e/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';

import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';

import { LumaEmulator } from '../test/emulator/emulator';
import { exampleFiles, loadExample, writeCredentialFile, writeWorkflowFile } from './lib/examples';
import type { N8nRest, RunningN8n } from './lib/runtime';
import { describeOn, importFile, n8nCli, n8nVersion, OWNER, prepareHome, ROOT, startLoggedIn } from './lib/runtime';

const SCREENSHOTS = path.join(ROOT, 'e2e', 'screenshots');
const KEY = 'e2e-editor-key-81d2';
let emulator: LumaEmulator;
let n8n: RunningN8n;
let rest: N8nRest;
let browser: Browser;
let page: Page;

async function shot(name: string): Promise<void> {
	await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

// The editor's pages are n8n 2.x's; 1.x runs every other e2e file.
describeOn(['2x'], `the editor of n8n ${n8nVersion()}`, () => {
	beforeAll(async () => {
		mkdirSync(SCREENSHOTS, { recursive: true });
		emulator = await new LumaEmulator({ keys: [KEY], holdMs: 2_000, queuedMs: 1_000, dreamingMs: 2_000 }).start();
		const home = await prepareHome('e2e-editor', process.env.E2E_TARBALL!, 5694);
		await importFile(home, 'credentials', writeCredentialFile(KEY, emulator.baseUrl));
		await importFile(home, 'workflow', writeWorkflowFile('e2e-examples', exampleFiles().map(loadExample)));
		// The form only answers when its workflow is published (n8n 2.x's word for active).
		await n8nCli(home, ['publish:workflow', '--id=LumaFormVideo001']);
		({ n8n, rest } = await startLoggedIn(home));
		browser = await chromium.launch({
			executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
			args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
		});
		page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
		await page.goto(`${n8n.url}/signin`);
		await page.fill('input[name=emailOrLdapLoginId]', OWNER.email);
		await page.fill('input[name=password]', OWNER.password);
		await page.click('[data-test-id=form-submit-button]');
		await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
	});

	afterAll(async () => {
		await browser?.close();
		await n8n?.stop();
		await emulator?.stop();
	});

	test('the node panel finds Luma Generate and Luma Wait; Generate offers one action per mode', async () => {
		await page.goto(`${n8n.url}/workflow/LumaShowcase0001`);
		await page.locator('[data-test-id=canvas-node]').first().waitFor();
		await shot('1-showcase-on-canvas');
		await page.click('[data-test-id=node-creator-plus-button]');
		await page.locator('[data-test-id=node-creator-search-bar]').waitFor();
		await page.keyboard.type('Luma');
		const names = page.locator('[data-test-id=node-creator-item-name]');
		await names.filter({ hasText: 'Luma Generate' }).first().waitFor();
		expect(await names.allTextContents()).toEqual(expect.arrayContaining(['Luma Generate', 'Luma Wait']));
		await shot('2-node-panel-search');

		await names.filter({ hasText: 'Luma Generate' }).first().click();
		for (const action of ['Create a video from text', 'Create a video from images', 'Extend a video', 'Reverse extend a video', 'Interpolate between two videos']) {
			await expect(page.getByText(action, { exact: true }).isVisible()).resolves.toBe(true);
		}
		await shot('3-luma-generate-actions');
	});

	test('a Luma Generate added to the canvas renders its parameters, and the mode switch shows the right fields', async () => {
		await page.getByText('Extend a video', { exact: true }).click();
		const ndv = page.locator('[data-test-id=ndv]');
		await ndv.waitFor();
		await page.locator('[data-test-id=parameter-input-generationId]').waitFor();
		for (const name of ['mode', 'prompt', 'generationId', 'endImageUrl', 'aspectRatio', 'model', 'resolution', 'duration', 'callbackUrl']) {
			expect(await page.locator(`[data-test-id=parameter-input-${name}]`).count()).toBe(1);
		}
		await shot('4-extend-parameters');

		// Switch to Interpolate: two generation ids, no image and no loop.
		await page.locator('[data-test-id=parameter-input-mode]').click();
		await page.locator('.el-select-dropdown__item:visible', { hasText: 'Interpolate' }).click();
		await page.locator('[data-test-id=parameter-input-firstGenerationId]').waitFor();
		await page.waitForTimeout(500); // let the dropdown fade before the screenshot
		expect(await page.locator('[data-test-id=parameter-input-secondGenerationId]').count()).toBe(1);
		expect(await page.locator('[data-test-id=parameter-input-endImageUrl]').count()).toBe(0);
		expect(await page.locator('[data-test-id=parameter-input-loop]').count()).toBe(0);
		await shot('5-interpolate-parameters');
		await page.click('[data-test-id=ndv-close-button]');
	});

	test('the showcase runs from the editor: Luma Wait routes one item to each output', async () => {
		await page.goto(`${n8n.url}/workflow/LumaShowcase0001`);
		page.once('dialog', (dialog) => void dialog.accept());
		await page.locator('[data-test-id=execute-workflow-button]').click();
		// The run takes the showcase's Max Wait (25 s) for its slow prompt.
		const execution = await waitForExecution('LumaShowcase0001', 120_000);
		expect(execution.status).toBe('success');
		await page.waitForTimeout(1_000);
		await shot('6-showcase-executed');
		const outputs = page.locator('[data-test-id=canvas-node-output-handle]');
		expect(await outputs.count()).toBeGreaterThan(0);
		// Each branch node received exactly one item: the canvas labels its edge "1 item".
		for (const node of ['Finished videos', 'Failed generations', 'Still running']) {
			expect(await page.locator('[data-test-id=canvas-node]', { hasText: node }).count()).toBe(1);
		}
		expect(await page.locator('[data-test-id=edge-label]', { hasText: '1 item' }).count()).toBeGreaterThanOrEqual(3);
	});

	test('a real form submission runs the form example end to end and shows the finished video page', async () => {
		emulator.resetCounters();
		await page.goto(`${n8n.url}/form/luma-video`);
		await page.locator('textarea').first().fill('A paper boat sailing down a rainy street');
		await page.locator('select').first().selectOption('9:16');
		await shot('7-form');
		await page.getByRole('button', { name: /submit/i }).click();
		await page.getByText('Your video is ready').waitFor({ timeout: 90_000 });
		await shot('8-form-video-ready');
		expect(emulator.log.filter((entry) => entry.endpoint === 'create').map((entry) => entry.body)).toEqual([
			{ prompt: 'A paper boat sailing down a rainy street', aspect_ratio: '9:16', model: 'ray-2', loop: false },
		]);
		expect(emulator.count('asset')).toBe(1);
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
