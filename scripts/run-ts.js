#!/usr/bin/env node
/**
 * Runs a TypeScript entry point (the demo, the e2e tests' set-up, the benchmarks) on a fresh clone:
 * installs the dev dependencies first when they are missing, then hands over to ts-node.
 * Usage: node scripts/run-ts.js <file.ts> [args...]
 */
const { spawn, spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const tsNode = path.join(root, 'node_modules', 'ts-node', 'dist', 'bin.js');
if (!existsSync(tsNode)) {
	console.log('[setup] installing the development dependencies (npm ci, first run only)…');
	const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
	const install = spawnSync(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
		cwd: root,
		stdio: 'inherit',
		env: { ...process.env, npm_config_yes: 'true' },
	});
	if (install.status !== 0) process.exit(install.status ?? 1);
}

const [entry, ...args] = process.argv.slice(2);
const child = spawn(process.execPath, [tsNode, '--transpile-only', path.resolve(root, entry), ...args], {
	cwd: root,
	stdio: 'inherit',
});
// Ctrl-C reaches the child through the terminal; the child stops what it started, then exits.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
