/**
 * Ray 3.2 in real n8n (issue 18): a workflow with Luma Generate version 2 makes an HDR clip (text
 * to video, 5 s, 1080p), Luma Wait waits for it, a second Luma Generate edits that video (Edit
 * Video of its URL), Luma Wait waits for the edit. The credential's API is at its default
 * (Automatic). On a gateway serving the unified video API both videos complete and their
 * `tokenCost` is what the gateway reported; on a gateway serving only the Luma endpoint the
 * workflow fails before anything is created, saying why. Runs on the line E2E_N8N_LINE picks.
 */
import type { ApiFlavour } from '../test/emulator/emulator';
import { LumaEmulator, PROBE_ID } from '../test/emulator/emulator';
import type { UnifiedCreateBody } from '../test/emulator/validate-unified';
import { unifiedPrice } from '../test/emulator/validate-unified';
import type { Workflow, WorkflowNode } from './lib/examples';
import { CREDENTIAL_ID, CREDENTIAL_NAME, nodeOutputs, writeCredentialFile, writeWorkflowFile } from './lib/examples';
import type { N8nHome } from './lib/runtime';
import { executeWorkflow, importFile, prepareHome } from './lib/runtime';

const KEY = 'e2e-key-apis-8c2d4e';
const WORKFLOW_ID = 'LumaRay32Apis001';
const HDR_PROMPT = 'A neon city street in the rain at night, reflections on wet asphalt';
const EDIT_PROMPT = 'The same street, but snow falls instead of rain';
let emulator: LumaEmulator;
let home: N8nHome;

const credentials = { apilaplasApi: { id: CREDENTIAL_ID, name: CREDENTIAL_NAME } };

function lumaNode(id: number, name: string, type: 'lumaGenerate' | 'lumaWait', typeVersion: number, parameters: Record<string, unknown>): WorkflowNode {
	return {
		id: `7a3e0c11-0000-4000-8000-00000000000${id}`,
		name,
		type: `n8n-nodes-apilaplas-luma.${type}`,
		typeVersion,
		position: [id * 220, 200],
		parameters,
		credentials,
	};
}

/** Manual start → HDR clip (Ray 3.2) → wait → Edit Video of its URL (Ray 3.2) → wait. */
function ray32Workflow(): Workflow {
	const nodes: WorkflowNode[] = [
		{ id: '7a3e0c11-0000-4000-8000-000000000000', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 200], parameters: {} },
		lumaNode(1, 'HDR clip', 'lumaGenerate', 2, {
			mode: 'textToVideo',
			model: 'ray-3.2',
			prompt: HDR_PROMPT,
			aspectRatio: '16:9',
			resolution: '1080p',
			duration: '5s',
			hdr: true,
			options: { maxCreatesPerRun: 1 },
		}),
		lumaNode(2, 'Wait for the clip', 'lumaWait', 1, { maxWaitSeconds: 300 }),
		lumaNode(3, 'Edit it', 'lumaGenerate', 2, {
			mode: 'editVideo',
			model: 'ray-3.2',
			prompt: EDIT_PROMPT,
			videoUrl: '={{ $json.videoUrl }}',
			options: { maxCreatesPerRun: 1 },
		}),
		lumaNode(4, 'Wait for the edit', 'lumaWait', 1, { maxWaitSeconds: 300 }),
	];
	const next = (node: string) => ({ main: [[{ node, type: 'main', index: 0 }]] });
	return {
		id: WORKFLOW_ID,
		name: 'Ray 3.2: an HDR clip, then an edit of it',
		nodes,
		connections: { Start: next('HDR clip'), 'HDR clip': next('Wait for the clip'), 'Wait for the clip': next('Edit it'), 'Edit it': next('Wait for the edit') },
		settings: { executionOrder: 'v1' },
		pinData: {},
	};
}

beforeAll(async () => {
	emulator = await new LumaEmulator({ keys: [KEY], queuedMs: 1_000, dreamingMs: 2_000 }).start();
	home = await prepareHome('e2e-apis', process.env.E2E_TARBALL!, 5736);
	await importFile(home, 'credentials', writeCredentialFile(KEY, emulator.baseUrl));
	await importFile(home, 'workflow', writeWorkflowFile('e2e-apis', [ray32Workflow()]));
});

afterAll(async () => {
	await emulator?.stop();
});

beforeEach(() => emulator.resetCounters());

describe.each(['unified', 'both'] as const)('Ray 3.2 on a gateway serving %s, the credential at Automatic', (apis: ApiFlavour) => {
	test('an HDR clip (5 s, 1080p) and an Edit Video of it complete, each costing what the gateway reported', async () => {
		emulator.configure({ apis });
		const run = await executeWorkflow(home, WORKFLOW_ID);
		expect(run.data.resultData.error).toBeUndefined();
		const [clip] = nodeOutputs(run, 'Wait for the clip');
		const [edit] = nodeOutputs(run, 'Wait for the edit');
		expect([clip.output, clip.json.state, edit.output, edit.json.state]).toEqual(['Completed', 'completed', 'Completed', 'completed']);

		// Both creates went to the unified API (the only one with Ray 3.2), once each, as its schema has them.
		const creates = emulator.log.filter((entry) => entry.method === 'POST');
		expect(creates.map((entry) => [entry.endpoint, entry.api, entry.status])).toEqual([
			['create', 'unified', 201],
			['create', 'unified', 201],
		]);
		const [clipBody, editBody] = creates.map((entry) => entry.body as UnifiedCreateBody);
		expect(clipBody).toEqual({ model: 'luma/ray-3.2', prompt: HDR_PROMPT, aspect_ratio: '16:9', resolution: '1080p', duration: 5, hdr: true });
		expect(editBody).toEqual(expect.objectContaining({ model: 'luma/ray-3.2', prompt: EDIT_PROMPT, type: 'video_edit', video_url: clip.json.videoUrl }));
		expect(Object.fromEntries(emulator.createsByPrompt)).toEqual({ [HDR_PROMPT]: 1, [EDIT_PROMPT]: 1 });

		// tokenCost is the credits the gateway reported for each (HDR doubles Ray 3.2's price), not the list price.
		for (const [item, body] of [[clip, clipBody], [edit, editBody]] as const) {
			const reported = emulator.generations.get(String(item.json.id))!.cost;
			expect(reported).toBe(unifiedPrice(body));
			expect(item.json.tokenCost).toBe(reported);
			expect(item.json.tokenCost).not.toBe(500000);
			expect(item.json.tokenCostIsListPrice).toBeUndefined();
		}
		expect(clip.json.tokenCost).toBe(1_600_000);

		// Each wait asked the unified API only, about its own id: no guess at the Luma endpoint.
		const fetches = emulator.log.filter((entry) => entry.endpoint === 'fetchOne' || entry.endpoint === 'fetchMany');
		expect(fetches.length).toBeGreaterThanOrEqual(2);
		expect(fetches.every((entry) => entry.api === 'unified' && entry.status === 200)).toBe(true);
		expect(emulator.log.filter((entry) => entry.endpoint === 'other').every((entry) => entry.method === 'GET' && entry.url.includes(PROBE_ID))).toBe(true);
	});
});

test('on a gateway serving only the Luma endpoint: fails before any create, naming the item, the Model field and the unified API', async () => {
	emulator.configure({ apis: 'luma' });
	const run = await executeWorkflow(home, WORKFLOW_ID);
	const error = run.data.resultData.error;
	expect(error?.message).toMatch(/^Model /);
	expect(error?.message).toMatch(/Ray 3\.2/);
	expect(error?.message).toMatch(/unified video API/);
	expect(error?.message).toMatch(/\[item 0\]/);
	expect(run.data.resultData.runData['Wait for the clip']).toBeUndefined();
	// Nothing was sent but the free reads that found out what the gateway serves.
	expect(emulator.log.filter((entry) => entry.method !== 'GET')).toEqual([]);
	expect(emulator.log.every((entry) => entry.url.includes(PROBE_ID))).toBe(true);
	expect(emulator.acceptedCreates).toBe(0);
});
