/** End-to-end tests: real n8n 2.x (Node 24, from e2e/runtime) and real Chromium, against the emulator. */
/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/e2e'],
	testMatch: ['**/*.e2e.test.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
	globalSetup: '<rootDir>/e2e/global-setup.ts',
	testTimeout: 10 * 60_000,
	maxWorkers: 1,
};
