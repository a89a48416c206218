#!/usr/bin/env node
/**
 * Release preflight, run by .github/workflows/publish.yml before anything is built or published,
 * and by scripts/check-release.mjs locally. Usage: node scripts/release-preflight.mjs <tag> [--npm]
 *
 * Checks, each failing with a message that says what to fix:
 * - the tag is `v` + package.json's version (a tag v0.2.0 publishes 0.2.0, nothing else);
 * - CHANGELOG.md has a `## [<version>]` section (users read what changed before upgrading);
 * - with --npm (the publishing step's Node): the npm CLI is 11.5.1 or later, the first that
 *   publishes through npm's trusted publishing (OIDC).
 * Exit code 0 when all pass, 1 otherwise.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MIN_NPM = '11.5.1';

/** Compares two plain x.y.z versions: negative, zero or positive like a sort comparator. */
function compareVersions(a, b) {
	const pa = a.split('-')[0].split('.').map(Number);
	const pb = b.split('-')[0].split('.').map(Number);
	for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
	return 0;
}

/**
 * The problems that keep `tag` from being released, as sentences (empty when it can be).
 * `npmVersion` is the npm CLI's version, e.g. "11.6.2", or undefined to skip that check.
 */
export function preflightProblems(tag, npmVersion) {
	const problems = [];
	const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
	if (tag !== `v${version}`) {
		problems.push(`the tag "${tag}" is not "v${version}" (package.json's version): bump package.json, or tag v${version}`);
	}
	const changelogPath = path.join(ROOT, 'CHANGELOG.md');
	const changelog = existsSync(changelogPath) ? readFileSync(changelogPath, 'utf8') : '';
	const heading = new RegExp(`^## \\[${version.replace(/\./g, '\\.')}\\]`, 'm');
	if (!heading.test(changelog)) problems.push(`CHANGELOG.md has no "## [${version}]" section`);
	if (npmVersion !== undefined && compareVersions(npmVersion, MIN_NPM) < 0) {
		problems.push(`npm ${npmVersion} cannot publish through npm's trusted publishing: ${MIN_NPM} or later is needed`);
	}
	return problems;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	const args = process.argv.slice(2);
	const tag = args.find((arg) => !arg.startsWith('--')) ?? '';
	const npmVersion = args.includes('--npm') ? execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim() : undefined;
	const problems = preflightProblems(tag, npmVersion);
	if (problems.length) {
		for (const problem of problems) console.error(`release preflight: ${problem}`);
		process.exit(1);
	}
	const npmNote = npmVersion ? `, npm ${npmVersion} can publish with trusted publishing` : '';
	console.log(`release preflight: ${tag} matches package.json, CHANGELOG.md has its section${npmNote}`);
}
