/**
 * `npm start`: the key-less demo. Real n8n with this package installed as a community package,
 * the examples imported, the showcase run headless against the emulator and summarised, then
 * the editor left open until Ctrl-C.
 *
 *   npm start                              the emulator, no key needed
 *   npm start -- --real                    the real gateway: APILAPLAS_API_KEY (and optionally
 *                                          APILAPLAS_BASE_URL); nothing is generated...
 *   npm start -- --real --spend            ...unless --spend: runs the showcase (3 creates, 1,500,000 tokens)
 *   npm start -- --no-editor               runs the showcase, prints the summary and exits
 *   N8N_PORT=5679 npm start                another port for the editor
 */
import { LumaEmulator } from '../test/emulator/emulator';
import { CREDENTIAL_NAME, exampleFiles, loadExample, nodeOutputs, writeCredentialFile, writeWorkflowFile } from './lib/examples';
import type { RoutedItem } from './lib/examples';
import { buildAndPack, ensureRuntime, executeWorkflow, importFile, OWNER, prepareHome, startLoggedIn, step } from './lib/runtime';

const DEMO_KEY = 'demo-key';
const SHOWCASE_ID = 'LumaShowcase0001';

function describeItem(item: RoutedItem): string {
	const prompt = String(item.json.prompt ?? '').padEnd(50).slice(0, 50);
	const id = String(item.json.id ?? '-');
	let detail = '';
	if (item.output === 'Completed') {
		const video = item.binary?.data;
		detail = video ? `video ${video.fileName}, ${video.fileSize}, ${video.mimeType}` : String(item.json.videoUrl);
	} else if (item.output === 'Failed') {
		detail = String(item.json.failureReason ?? item.json.error);
	} else {
		detail = `still ${item.json.state} after ${item.json.waitedSeconds} s`;
	}
	return `  ${prompt}  ${id.padEnd(36)}  ${item.output.padEnd(9)}  ${detail}`;
}

async function main(): Promise<void> {
	const args = new Set(process.argv.slice(2));
	const real = args.has('--real');
	const spend = args.has('--spend');
	const editor = !args.has('--no-editor');
	const port = Number(process.env.N8N_PORT ?? 5678);

	let emulator: LumaEmulator | undefined;
	const cleanups: Array<() => Promise<void>> = [];
	let stopping = false;
	const stopAll = async (code: number) => {
		if (stopping) return;
		stopping = true;
		step('stopping everything this demo started…');
		for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
		process.exit(code);
	};
	process.on('SIGINT', () => void stopAll(0));
	process.on('SIGTERM', () => void stopAll(0));

	let apiKey = DEMO_KEY;
	let baseUrl: string;
	if (real) {
		apiKey = (process.env.APILAPLAS_API_KEY ?? '').trim();
		if (!apiKey) throw new Error('--real needs your key in APILAPLAS_API_KEY');
		baseUrl = process.env.APILAPLAS_BASE_URL ?? 'https://api.apilaplas.com';
		step(`using the real gateway at ${baseUrl}`);
	} else {
		// A generation takes seconds here, not minutes; the long poll holds 30 s as the real one does.
		emulator = await new LumaEmulator({ keys: [DEMO_KEY], holdMs: 30_000, queuedMs: 2_000, dreamingMs: 6_000 }).start();
		cleanups.push(() => emulator!.stop());
		baseUrl = emulator.baseUrl;
		step(`emulator: the Apilaplas API on ${baseUrl} (key "${DEMO_KEY}")`);
	}

	await ensureRuntime();
	const tarball = await buildAndPack();
	const home = await prepareHome('demo', tarball, port);

	step(`n8n: creating the "${CREDENTIAL_NAME}" credential and importing ${exampleFiles().length} example workflows…`);
	await importFile(home, 'credentials', writeCredentialFile(apiKey, baseUrl));
	await importFile(home, 'workflow', writeWorkflowFile('examples', exampleFiles().map(loadExample)));

	if (!real || spend) {
		step('n8n: running the showcase workflow headless (n8n execute): three prompts, three outcomes…');
		const run = await executeWorkflow(home, SHOWCASE_ID);
		const routed = nodeOutputs(run, 'Luma Wait');
		const generated = nodeOutputs(run, 'Luma Generate').filter((item) => typeof item.json.id === 'string');
		console.log('\nShowcase result (Luma Generate → Luma Wait):');
		console.log(`  ${'prompt'.padEnd(50)}  ${'generation id'.padEnd(36)}  ${'branch'.padEnd(9)}  detail`);
		for (const item of routed) console.log(describeItem(item));
		console.log(`  ${generated.length} generations created, ${(generated.length * 500_000).toLocaleString('en-US')} tokens${real ? '' : ' (emulated: nothing was spent)'}\n`);
	} else {
		step('not running the showcase on the real gateway (it would spend 1,500,000 tokens); add --spend to run it');
	}

	if (!editor) return await stopAll(0);

	const { n8n } = await startLoggedIn(home);
	cleanups.push(() => n8n.stop());
	console.log(`\nThe n8n editor is open at ${n8n.url}`);
	console.log(`  log in as ${OWNER.email} / ${OWNER.password}`);
	console.log(`  workflows: ${exampleFiles().map((file) => loadExample(file).name).join('; ')}`);
	console.log(`  the form of "Luma: a form that makes a video" is at ${n8n.url}/form/luma-video once you publish it`);
	console.log('Press Ctrl-C to stop n8n and the emulator.\n');
	n8n.process.once('exit', () => void stopAll(1));
}

main().catch((error) => {
	console.error(`\nThe demo failed: ${error instanceof Error ? error.message : String(error)}`);
	process.exit(1);
});
