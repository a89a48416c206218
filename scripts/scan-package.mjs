#!/usr/bin/env node
/**
 * n8n's community package scanner (@n8n/scan-community-package, pinned in package.json): its two
 * lint legs, run here with its own rule set. Each leg is the scanner's `analyzePackage(dir,
 * patterns)` (scanner/scanner.mjs): the same ESLint options (`allowInlineConfig: false`, so
 * `eslint-disable` comments count for nothing; the config from its exported `buildScanConfig()`)
 * and the same file globbing, over
 *
 * 1. source: the repository with the scanner's `SOURCE_FILE_PATTERNS` (package.json and
 *    `{nodes,credentials}/**\/*.{js,ts,json}`); the scanner lints the GitHub checkout named by the
 *    package's provenance the same way (`sourceResult` in analyzePackageByName);
 * 2. tarball: `npm pack`, unpacked with `tar -xzf --strip-components=1`, patterns
 *    `**\/*.js` and `package.json` (downloadAndExtractPackage and `distResult` there).
 *
 * One difference, on purpose: the scanner fails a package on errors only; this fails on any
 * finding, warnings too, and says which of them n8n's scan would refuse.
 * `buildScanConfig()` is @n8n/eslint-plugin-community-nodes' recommended config at the version the
 * scanner pins, eslint-plugin-n8n-nodes-base's community, credentials and nodes rule sets (the
 * scanner's own overrides), and `no-console`. The scanner's other steps need the public registry
 * and a published version: the provenance check (scanner/provenance.mjs) and fetching the attested
 * source. Needs `npm run build` first (the tarball holds dist/). Exits 1 on any finding.
 * Usage: node scripts/scan-package.mjs [package folder, default: this repository]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = path.resolve(process.argv[2] ?? REPO);
const SCANNER_DIR = path.join(REPO, 'node_modules', '@n8n', 'scan-community-package');
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

const { ESLint } = requireFromScanner('eslint');
const eslint = (dir) =>
	scanner.buildScanConfig().then((overrideConfig) => new ESLint({ cwd: dir, allowInlineConfig: false, overrideConfigFile: true, overrideConfig }));

/** One leg, as analyzePackage runs it: its files (counted, so an empty match cannot pass) and every finding. */
async function leg(name, dir, patterns) {
	const files = glob.sync(patterns, { cwd: dir, absolute: true, ignore: ['node_modules/**', '**/package-lock.json'] });
	if (files.length === 0) return { name, findings: 0, report: `no files matched ${patterns.join(', ')} in ${dir}` };
	const linter = await eslint(dir);
	const results = await linter.lintFiles(files);
	const errors = results.reduce((sum, result) => sum + result.errorCount, 0);
	const warnings = results.reduce((sum, result) => sum + result.warningCount, 0);
	const report = errors + warnings ? await (await linter.loadFormatter('stylish')).format(results) : '';
	const verdict = errors ? `n8n's scan would refuse the package (${errors} errors)` : warnings ? `n8n's scan would pass it; warnings fail here` : '';
	return { name, files: files.length, findings: errors + warnings, report: [verdict, report].filter(Boolean).join('\n') };
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
	for (const { name, files, findings, report } of [source, tarball]) {
		const passed = files !== undefined && findings === 0;
		console.log(`${passed ? 'pass' : 'FAIL'}: ${name}${files ? `, ${files} files, ${findings} findings` : ''}`);
		if (!passed) {
			failed = true;
			console.log(report);
		}
	}
	if (failed) process.exitCode = 1;
} finally {
	rmSync(work, { recursive: true, force: true });
}
