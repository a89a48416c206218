/**
 * Luma Generate's tool nodes of both versions in one workflow, in one real n8n process. n8n 1.x
 * builds the `lumaGenerateTool` type once, from the first node asking for it (here the version 2
 * node, listed first), and runs the version 1 node on it too; each must still send its own create
 * body (nodes/LumaGenerate/versions.ts). The AI Agent (3, which both lines have) calls version 2,
 * then version 1, as a scripted fake model tells it.
 */
import { LumaEmulator } from '../test/emulator/emulator';
import { FakeModel } from './lib/fake-model';
import { loadExample, manualTwin, writeCredentialFile, writeWorkflowFile } from './lib/examples';
import type { ExecutedRun } from './lib/runtime';
import { describeOn, executeWorkflow, importFile, n8nVersion, prepareHome } from './lib/runtime';

const KEY = 'e2e-key-tool-versions-7c1f';
const V1_BODY = '{"prompt":"A red fox in fresh snow","aspect_ratio":"16:9","model":"ray-2","loop":false}';
const V2_BODY = '{"model":"luma/ray-3.2","prompt":"A calm lake at dawn","aspect_ratio":"21:9","resolution":"1080p","duration":5,"hdr":true,"exr_export":true}';

let emulator: LumaEmulator;
let model: FakeModel;
let run: ExecutedRun;

describeOn(['2x', '1x'], `n8n ${n8nVersion()}: Luma Generate tool nodes of versions 2 and 1 in one process`, () => {
	beforeAll(async () => {
		emulator = await new LumaEmulator({ keys: [KEY], apis: 'both' }).start();
		model = await new FakeModel().start();
		const home = await prepareHome('e2e-tool-versions', process.env.E2E_TARBALL!, 5760);
		const example = loadExample('agent-video.json');
		const generate = example.nodes.find((node) => node.name === 'Luma Generate')!;
		const v2 = { ...generate, id: 'generate-v2', name: 'Generate V2', typeVersion: 2, parameters: { model: 'ray-3.2', aspectRatio: '21:9', resolution: '1080p', hdr: true, exrExport: true } };
		const v1 = { ...generate, id: 'generate-v1', name: 'Generate V1', typeVersion: 1, parameters: {} };
		const others = example.nodes.filter((node) => !['Luma Generate', 'Luma Wait'].includes(node.name));
		const toAgent = { ai_tool: [[{ node: 'AI Agent', type: 'ai_tool', index: 0 }]] };
		const connections = Object.fromEntries(Object.entries(example.connections).filter(([from]) => !['Luma Generate', 'Luma Wait'].includes(from)));
		const chat = [{ json: { sessionId: 'e2e-session', action: 'sendMessage', chatInput: 'A lake, then a fox' } }];
		const twin = manualTwin({
			...example,
			nodes: [v2, v1, ...others],
			connections: { ...connections, 'Generate V2': toAgent, 'Generate V1': toAgent } as unknown as typeof example.connections,
			pinData: { 'Chat message': chat },
		});
		await importFile(home, 'credentials', writeCredentialFile(KEY, emulator.baseUrl, [model.credential()]));
		await importFile(home, 'workflow', writeWorkflowFile('e2e-tool-versions', [twin]));
		model.play([
			{ toolCalls: [{ id: 'gen_v2', name: 'Generate_V2', args: { prompt: 'A calm lake at dawn' } }] },
			{ toolCalls: [{ id: 'gen_v1', name: 'Generate_V1', args: { prompt: 'A red fox in fresh snow' } }] },
			{ text: 'Both are on their way.' },
		]);
		run = await executeWorkflow(home, twin.id);
	});

	afterAll(async () => {
		await model?.stop();
		await emulator?.stop();
	});

	test('each version sends its own create body: version 2 Ray 3.2 with HDR and EXR, version 1 the released one with loop false', () => {
		expect(run.data.resultData.error).toBeUndefined();
		const creates = emulator.log.filter((entry) => entry.endpoint === 'create').map((entry) => [entry.api, JSON.stringify(entry.body)]);
		expect(creates).toEqual([
			['unified', V2_BODY],
			['luma', V1_BODY],
		]);
		expect(model.toolAnswer('gen_v1')).toEqual([expect.objectContaining({ state: 'queued', id: expect.any(String) })]);
	});
});
