#!/usr/bin/env node
/**
 * n8n's community package scanner (@n8n/scan-community-package, pinned in package.json), its two
 * lint legs run here, with its own rule set, by calling its exported functions:
 *
 * 1. source: `analyzePackage(<repo>, SOURCE_FILE_PATTERNS)`, i.e. package.json and
 *    `{nodes,credentials}/**\/*.{js,ts,json}`; the scanner runs it on the GitHub checkout named
 *    by the package's provenance (scanner/scanner.mjs, `sourceResult` in analyzePackageByName);
 * 2. tarball: `npm pack`, unpacked with `tar -xzf --strip-components=1`, then
 *    `analyzePackage(<unpacked>, ['**\/*.js', 'package.json'])` (scanner/scanner.mjs,
 *    downloadAndExtractPackage and `distResult`).
 *
 * Its other steps need the public registry and cannot run before a release: the provenance check
 * (scanner/provenance.mjs) and fetching the attested source. The rules are the scanner's
 * `buildScanConfig()`: @n8n/eslint-plugin-community-nodes' recommended config at the version the
 * scanner pins, eslint-plugin-n8n-nodes-base's community/credentials/nodes rule sets, `no-console`,
 * inline `eslint-disable` comments ignored. Needs `npm run build` first (the tarball holds dist/).
 * Prints every finding and exits 1 on any.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCANNER_DIR = path.join(ROOT, 'node_modules', '@n8n', 'scan-community-package');
const scanner = await import(path.join(SCANNER_DIR, 'scanner', 'scanner.mjs'));
// The scanner's own dependencies, resolved from its folder as it resolves them.
const requireFromScanner = createRequire(path.join(SCANNER_DIR, 'scanner', 'scanner.mjs'));
const glob = requireFromScanner('fast-glob');

/** The version of a package as the scanner resolves it (its own nested copy when it has one). */
function versionSeenByScanner(name) {
	let dir = path.dirname(requireFromScanner.resolve(name));
	while (!readdirSync(dir).includes('package.json')) dir = path.dirname(dir);
	return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
}

/** One leg: the files it lints (counted, so an empty match cannot pass silently) and its findings. */
async function leg(name, dir, patterns) {
	const files = glob.sync(patterns, { cwd: dir, ignore: ['node_modules/**', '**/package-lock.json'] });
	if (files.length === 0) return { name, passed: false, report: `no files matched ${patterns.join(', ')} in ${dir}` };
	const result = await scanner.analyzePackage(dir, patterns);
	return { name, passed: result.passed, files: files.length, report: [result.message, result.details].filter(Boolean).join('\n') };
}

const scannerVersion = JSON.parse(readFileSync(path.join(SCANNER_DIR, 'package.json'), 'utf8')).version;
console.log(
	`@n8n/scan-community-package ${scannerVersion}: @n8n/eslint-plugin-community-nodes ${versionSeenByScanner('@n8n/eslint-plugin-community-nodes')}, ` +
		`eslint-plugin-n8n-nodes-base ${versionSeenByScanner('eslint-plugin-n8n-nodes-base')}, eslint ${versionSeenByScanner('eslint')}`,
);

const work = mkdtempSync(path.join(os.tmpdir(), 'scan-package-'));
try {
	const source = await leg('source (package.json, nodes/, credentials/)', ROOT, scanner.SOURCE_FILE_PATTERNS);

	const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
	const unpacked = path.join(work, 'package');
	execFileSync('mkdir', ['-p', unpacked]);
	execFileSync('tar', ['-xzf', packed[0].filename, '-C', unpacked, '--strip-components=1'], { cwd: work });
	const tarball = await leg(`tarball (${packed[0].filename}: compiled .js, package.json)`, unpacked, ['**/*.js', 'package.json']);

	let failed = false;
	for (const { name, passed, files, report } of [source, tarball]) {
		console.log(`${passed ? 'pass' : 'FAIL'}: ${name}${files ? `, ${files} files` : ''}`);
		if (!passed) {
			failed = true;
			console.log(report);
		}
	}
	if (failed) process.exitCode = 1;
} finally {
	rmSync(work, { recursive: true, force: true });
}
