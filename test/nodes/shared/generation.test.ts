import {
	generationUuid,
	hasReached,
	normalizeGeneration,
	normalizeGenerations,
	UnreadableAnswerError,
} from '../../../nodes/shared/generation';

const ID = '0f3ea4aa-10e7-4dae-af0b-263ab4ac45f9';

describe('state order', () => {
	test('a wait ends at the target or any later state', () => {
		expect(hasReached('dreaming', 'dreaming')).toBe(true);
		expect(hasReached('completed', 'dreaming')).toBe(true);
		expect(hasReached('failed', 'dreaming')).toBe(true);
		expect(hasReached('failed', 'completed')).toBe(true);
		expect(hasReached('queued', 'dreaming')).toBe(false);
		expect(hasReached('dreaming', 'completed')).toBe(false);
	});
});

describe('normalizeGeneration reads every shape of docs/API.md §5', () => {
	test('the upstream object', () => {
		const body = {
			id: ID,
			generation_type: 'video',
			state: 'completed',
			failure_reason: null,
			created_at: '2026-11-24T10:00:00Z',
			assets: { video: 'https://cdn/v.mp4', image: 'https://cdn/t.jpg', progress_video: null },
			model: 'ray-2',
			request: { prompt: 'p' },
		};
		expect(normalizeGeneration(body)).toEqual({
			id: ID,
			state: 'completed',
			failureReason: null,
			videoUrl: 'https://cdn/v.mp4',
			thumbnailUrl: 'https://cdn/t.jpg',
			createdAt: '2026-11-24T10:00:00Z',
			model: 'ray-2',
			creditsUsed: null,
			usdSpent: null,
			raw: body,
		});
	});

	test('the unified API\'s object (docs/API.md §5.3): status names, video.url, error object, the cost it reports', () => {
		const body = {
			id: ID,
			status: 'completed',
			video: { url: 'https://cdn/v.mp4' },
			error: null,
			meta: { usage: { credits_used: 120000 } },
			model: 'luma/ray-3.2',
		};
		expect(normalizeGeneration(body)).toMatchObject({ id: ID, state: 'completed', videoUrl: 'https://cdn/v.mp4', creditsUsed: 120000, model: 'luma/ray-3.2' });
		const failed = normalizeGeneration({ id: ID, status: 'error', error: { name: 'ModerationError', message: 'Frame moderation failed' } });
		expect(failed).toMatchObject({ state: 'failed', failureReason: 'Frame moderation failed', creditsUsed: null });
		expect(normalizeGeneration({ id: ID, status: 'queued', meta: { usage: {} } }).creditsUsed).toBeNull();
	});

	test('the cost in dollars when the unified API reports it (meta.usage.usd_spent, Ray 3.2), else null', () => {
		const body = { id: ID, status: 'completed', meta: { usage: { credits_used: 800000, usd_spent: 0.4 } }, model: 'luma/ray-3.2' };
		expect(normalizeGeneration(body)).toMatchObject({ creditsUsed: 800000, usdSpent: 0.4 });
		expect(normalizeGeneration({ ...body, meta: { usage: { credits_used: 800000, usd_spent: '0.25' } } }).usdSpent).toBe(0.25);
		expect(normalizeGeneration({ ...body, meta: { usage: { credits_used: 800000 } } }).usdSpent).toBeNull();
		expect(normalizeGeneration({ ...body, meta: { usage: { usd_spent: -1 } } }).usdSpent).toBeNull();
	});

	test('the state under `status`, with generating and error', () => {
		expect(normalizeGeneration({ id: ID, status: 'generating' }).state).toBe('dreaming');
		const failed = normalizeGeneration({ id: ID, status: 'error', error: 'Frame moderation failed' });
		expect(failed.state).toBe('failed');
		expect(failed.failureReason).toBe('Frame moderation failed');
	});

	test('the video at video.url and at video_url', () => {
		expect(normalizeGeneration({ id: ID, state: 'completed', video: { url: 'https://a/1.mp4' } }).videoUrl).toBe('https://a/1.mp4');
		expect(normalizeGeneration({ id: ID, state: 'completed', video_url: 'https://a/2.mp4' }).videoUrl).toBe('https://a/2.mp4');
	});

	test('an id with a suffix is kept as the server sent it', () => {
		expect(normalizeGeneration({ id: `${ID}:luma/ray-2`, state: 'queued' }).id).toBe(`${ID}:luma/ray-2`);
		expect(generationUuid(`${ID}:luma/ray-2`)).toBe(ID);
		expect(generationUuid('not-an-id')).toBeUndefined();
	});

	test('an unknown state is an error quoting the body, never "pending"', () => {
		expect(() => normalizeGeneration({ id: ID, state: 'exploded' })).toThrow(UnreadableAnswerError);
		expect(() => normalizeGeneration({ id: ID, state: 'exploded' })).toThrow(/unknown generation state "exploded".*exploded/);
		expect(() => normalizeGeneration({ id: ID })).toThrow(/unknown generation state undefined/);
	});

	test('an answer without an id, or not an object, is an error', () => {
		expect(() => normalizeGeneration({ state: 'queued' })).toThrow(/no generation id: \{"state":"queued"\}/);
		expect(() => normalizeGeneration('<html>')).toThrow(/not a generation: <html>/);
	});
});

describe('normalizeGenerations reads the fetch-many answer', () => {
	const one = { id: ID, state: 'queued' };
	test('a bare array', () => {
		expect(normalizeGenerations([one]).map((g) => g.id)).toEqual([ID]);
	});
	test('an object holding one', () => {
		expect(normalizeGenerations({ generations: [one] }).map((g) => g.state)).toEqual(['queued']);
		expect(normalizeGenerations({ data: [one] })).toHaveLength(1);
	});
	test('anything else is an error', () => {
		expect(() => normalizeGenerations({ foo: 1 })).toThrow(/holds no list/);
	});
});
