/**
 * End-to-end tests: real n8n and real Chromium, against the emulator. E2E_N8N_LINE picks n8n 2.x
 * (default: Node 24, e2e/runtime) or 1.x (the system Node, e2e/runtime-1x); see e2e/lib/runtime.ts.
 * E2E_WORKERS (default 1) runs that many test files at once: each jest worker gets its own ports
 * and state folder (shiftPort and STATE_DIR in e2e/lib/runtime.ts).
 */
/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/e2e'],
	testMatch: ['**/*.e2e.test.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
	globalSetup: '<rootDir>/e2e/global-setup.ts',
	testTimeout: 10 * 60_000,
	maxWorkers: Number(process.env.E2E_WORKERS || 1),
};
