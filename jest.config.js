/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	transform: { '^.+\\.ts$': 'ts-jest' },
	setupFiles: ['<rootDir>/test/helpers/setup-env.ts'],
	testTimeout: 60_000,
	maxWorkers: 2,
};
