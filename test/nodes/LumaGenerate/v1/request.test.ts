/**
 * Luma Generate version 1 is frozen: a saved workflow builds the very request it built when
 * version 1 was released (commit 51e2fac). The expected bytes were recorded from the released code
 * itself (test/nodes/fixtures/record-generate-v1.ts), not computed by today's code.
 */
import type { INodeParameters, INodeTypeDescription } from 'n8n-workflow';

import { readCreateRequestV1 } from '../../../../nodes/LumaGenerate/v1/request';
import { LumaGenerate } from '../../../../nodes/LumaGenerate/LumaGenerate.node';
import recordedBodies from '../../fixtures/generate-v1-bodies.json';
import recordedFields from '../../fixtures/generate-v1-fields.json';
import { contextFor, fieldsOf, fieldsShown, IMG_B, outcome, PROMPT, UUID1, UUID2 } from '../harness';

const v1: INodeTypeDescription = new LumaGenerate().getNodeType(1).description;

describe('version 1 sends what the release sent', () => {
	test('hand-checked bodies: loop false is part of the bytes', () => {
		const cases: Array<[INodeParameters, string]> = [
			[{ prompt: PROMPT }, '{"mode":"textToVideo","body":{"prompt":"A red fox in fresh snow","aspect_ratio":"16:9","model":"ray-2","loop":false}}'],
			[
				{ mode: 'extend', prompt: PROMPT, generationId: UUID1, endImageUrl: IMG_B, model: 'ray-1-6', resolution: '4k', duration: '9s', callbackUrl: 'https://example.com/hook' },
				`{"mode":"extend","body":{"prompt":"A red fox in fresh snow","aspect_ratio":"16:9","model":"ray-1-6","keyframes":{"frame0":{"type":"generation","id":"${UUID1}"},"frame1":{"type":"image","url":"${IMG_B}"}},"loop":false,"resolution":"4k","duration":"9s","callback_url":"https://example.com/hook"}}`,
			],
			[
				{ mode: 'interpolate', prompt: PROMPT, firstGenerationId: UUID1, secondGenerationId: UUID2, aspectRatio: '9:21' },
				`{"mode":"interpolate","body":{"prompt":"A red fox in fresh snow","aspect_ratio":"9:21","model":"ray-2","keyframes":{"frame0":{"type":"generation","id":"${UUID1}"},"frame1":{"type":"generation","id":"${UUID2}"}}}}`,
			],
		];
		for (const [parameters, bytes] of cases) expect(outcome(readCreateRequestV1, contextFor(v1, 1, parameters))).toBe(bytes);
	});

	test('1,950 parameter sets recorded from the release: the same body bytes, or the same error', () => {
		const differing = recordedBodies
			.map(({ parameters, itemIndex, outcome: released }) => ({
				parameters,
				released,
				now: outcome(readCreateRequestV1, contextFor(v1, 1, parameters as INodeParameters), itemIndex),
			}))
			.filter(({ released, now }) => released !== now);
		expect(differing.slice(0, 3)).toEqual([]);
	});

	test('the recording covers every mode and model, bodies and refusals alike', () => {
		// What the recording holds, counted once by hand from the file: a check that it is the broad sample.
		expect(recordedBodies).toHaveLength(1950);
		const bodies = recordedBodies.filter((entry) => !entry.outcome.startsWith('ERROR')).map((entry) => JSON.parse(entry.outcome));
		expect(bodies).toHaveLength(1289);
		expect(new Set(bodies.map((body) => body.mode))).toEqual(new Set(['textToVideo', 'imageToVideo', 'extend', 'reverseExtend', 'interpolate']));
		expect(new Set(bodies.map((body) => body.body.model))).toEqual(new Set(['ray-2', 'ray-flash-2', 'ray-1-6']));
	});

	test('a saved version 1 node opens with the fields, values and choices it had when released', () => {
		for (const { values, canvas, tool } of recordedFields) {
			expect(fieldsShown(v1, values as INodeParameters, false)).toEqual(canvas);
			expect(fieldsShown(v1, values as INodeParameters, true)).toEqual(tool);
		}
		expect(recordedFields).toHaveLength(15);
	});

	test('Ray 1.6 is still offered; Ray 3.2 and its fields are not', () => {
		const models = fieldsOf(v1, 1).filter((property) => property.name === 'model').flatMap((property) => (property.options as Array<{ value: string }>).map((option) => option.value));
		expect(models).toEqual(['ray-2', 'ray-flash-2', 'ray-1-6']);
		expect(fieldsOf(v1, 1).some((property) => ['hdr', 'exrExport', 'videoUrl'].includes(property.name))).toBe(false);
	});
});
