#!/usr/bin/env node
/**
 * Checks locally what can be checked of a release before one is tagged (run by .ci/run, and by the
 * publish workflow before it publishes). Needs `npm run build` first. Exits 1 on any problem.
 *
 * - .github/workflows/ci.yml and publish.yml: parse as YAML (the `yaml` package, strict), match
 *   GitHub's workflow schema (@action-validator/core, SchemaStore's schema), every action pinned
 *   to a version, and carry what this project relies on: CI runs `bash .ci/run` on push and
 *   pull_request, with the whole history; publishing runs on `v*.*.*` tags only, with `id-token: write` and
 *   `contents: read` and no other permission, preflight → install → build → lint → unit tests →
 *   release checks → Node 24 → `npm publish --provenance --access public`, NODE_AUTH_TOKEN from
 *   the NPM_TOKEN secret; every `npm run` script and `node scripts/…` file they call exists.
 * - The preflight (scripts/release-preflight.mjs) passes for `v<package.json version>` and refuses
 *   another tag.
 * - CHANGELOG.md has this version's section and no placeholder left in it, and the upgrade test's
 *   baseline (e2e/lib/baseline.ts) is the release below it there.
 * - The package: `npm pack` holds only dist/ and package metadata, every node and credential that
 *   package.json's `n8n` section lists, each one's icons, no TypeScript sources, maps or tests;
 *   no runtime dependencies; under 150 kB packed.
 * - `npm publish --dry-run --provenance --access public` (the workflow's command, nothing is
 *   uploaded) succeeds and would upload exactly the tarball checked above (same shasum).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { preflightProblems } from './release-preflight.mjs';

const require = createRequire(import.meta.url);
const YAML = require('yaml');
const { validateWorkflow } = require('@action-validator/core');

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const problems = [];
const fail = (where, what) => problems.push(`${where}: ${what}`);
const passed = [];

// ---- workflows -------------------------------------------------------------------------------

/** A workflow file parsed strictly (duplicate keys, bad YAML fail), or undefined after reporting why. */
function readWorkflow(file) {
	const text = readFileSync(path.join(ROOT, file), 'utf8');
	const doc = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: true });
	for (const error of [...doc.errors, ...doc.warnings]) fail(file, `YAML: ${error.message}`);
	if (doc.errors.length) return undefined;
	const schema = validateWorkflow(text);
	for (const error of schema.errors) {
		const states = (error.states ?? []).flatMap((state) => state.errors.map((e) => `${e.path ?? ''} ${e.detail ?? e.title}`));
		fail(file, `workflow schema: ${error.path ?? ''} ${error.detail ?? error.title}${states.length ? ` (${[...new Set(states)].join('; ')})` : ''}`);
	}
	return doc.toJS();
}

const steps = (job) => job?.steps ?? [];
const runs = (step) => (typeof step.run === 'string' ? step.run : '');
const jobsOf = (workflow) => Object.values(workflow?.jobs ?? {});

/** Every `uses:` names a version (vN, vN.N.N or a commit), and every script a `run:` calls exists. */
function checkCalls(file, workflow) {
	for (const job of jobsOf(workflow)) {
		for (const step of steps(job)) {
			if (step.uses && !/^[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/.test(step.uses)) {
				fail(file, `action "${step.uses}" is not pinned to a version (owner/name@vN or a commit)`);
			}
			for (const [, script] of runs(step).matchAll(/npm run ([\w:-]+)/g)) {
				if (!pkg.scripts?.[script]) fail(file, `calls "npm run ${script}", which package.json does not define`);
			}
			for (const [, script] of runs(step).matchAll(/node (scripts\/[\w./-]+)/g)) {
				if (!existsSync(path.join(ROOT, script))) fail(file, `calls "node ${script}", which does not exist`);
			}
		}
	}
}

const ci = readWorkflow('.github/workflows/ci.yml');
if (ci) {
	const file = 'ci.yml';
	checkCalls(file, ci);
	const on = ci.on ?? {};
	if (!('push' in on) || !('pull_request' in on)) fail(file, 'must run on push and pull_request');
	const job = jobsOf(ci).find((j) => steps(j).some((s) => /^bash \.ci\/run\b/.test(runs(s).trim())));
	if (!job) fail(file, 'no job runs `bash .ci/run`');
	else {
		if (!/ubuntu/.test(String(job['runs-on']))) fail(file, 'the .ci/run job must run on an Ubuntu runner');
		const ciEnv = { ...(ci.env ?? {}), ...(job.env ?? {}), ...(steps(job).find((s) => /\.ci\/run/.test(runs(s)))?.env ?? {}) };
		if (String(ciEnv.CI) !== 'true') fail(file, 'the .ci/run step must have CI=true');
		const checkout = steps(job).find((step) => /^actions\/checkout@/.test(step.uses ?? ''));
		if (String(checkout?.with?.['fetch-depth']) !== '0') fail(file, 'checkout needs fetch-depth: 0 (the upgrade test builds the previous release from its commit)');
	}
	passed.push('ci.yml: YAML, workflow schema, `bash .ci/run` with CI=true and the whole history on push and pull_request');
}

const publish = readWorkflow('.github/workflows/publish.yml');
if (publish) {
	const file = 'publish.yml';
	checkCalls(file, publish);
	const on = publish.on ?? {};
	const events = Object.keys(on);
	if (events.length !== 1 || events[0] !== 'push') fail(file, `must run on tag pushes only, not on ${events.join(', ')}`);
	const push = on.push ?? {};
	if (JSON.stringify(push.tags) !== JSON.stringify(['v*.*.*']) || push.branches || push['branches-ignore']) {
		fail(file, 'must run on push of tags `v*.*.*` only');
	}
	const jobs = jobsOf(publish);
	if (jobs.length !== 1) fail(file, 'expected one publish job');
	const job = jobs[0] ?? {};
	const permissions = { ...(publish.permissions ?? {}), ...(job.permissions ?? {}) };
	if (permissions['id-token'] !== 'write') fail(file, 'needs `id-token: write` (npm provenance, trusted publishing)');
	if (permissions.contents !== 'read') fail(file, 'needs `contents: read`');
	for (const [scope, level] of Object.entries(permissions)) {
		if (scope !== 'id-token' && level !== 'read' && level !== 'none') fail(file, `grants ${scope}: ${level}; publishing needs no other write permission`);
	}

	const list = steps(job);
	const index = (test, what) => {
		const i = list.findIndex(test);
		if (i < 0) fail(file, `no step that ${what}`);
		return i;
	};
	const checkout = index((s) => /^actions\/checkout@/.test(s.uses ?? ''), 'checks out the repository');
	const preflight = index((s) => /node scripts\/release-preflight\.mjs "\$GITHUB_REF_NAME"\s*$/.test(runs(s).trim()), 'runs the preflight on the tag');
	const install = index((s) => /^npm ci\b/.test(runs(s).trim()), 'runs npm ci');
	const build = index((s) => runs(s).trim() === 'npm run build', 'runs npm run build');
	const lint = index((s) => runs(s).trim() === 'npm run lint', 'runs npm run lint');
	const test = index((s) => runs(s).trim() === 'npm test', 'runs npm test');
	const checks = index((s) => /node scripts\/scan-package\.mjs/.test(runs(s)) && /node scripts\/check-release\.mjs/.test(runs(s)), 'runs the scanner lint and release checks');
	const node24 = index(
		(s) => /^actions\/setup-node@/.test(s.uses ?? '') && Number(String(s.with?.['node-version']).split('.')[0]) >= 24 && s.with?.['registry-url'] === 'https://registry.npmjs.org',
		'sets up Node 24+ (npm 11.5.1+) with registry-url https://registry.npmjs.org',
	);
	const npmCheck = index((s) => /node scripts\/release-preflight\.mjs "\$GITHUB_REF_NAME" --npm/.test(runs(s)), 'checks the npm version before publishing');
	const publishStep = index((s) => runs(s).trim() === 'npm publish --provenance --access public', 'runs `npm publish --provenance --access public`');
	const order = [checkout, preflight, install, build, lint, test, checks, node24, npmCheck, publishStep];
	if (order.every((i) => i >= 0) && order.some((i, k) => k > 0 && i <= order[k - 1])) {
		fail(file, 'steps out of order: checkout, preflight, npm ci, build, lint, test, release checks, Node 24, npm check, publish');
	}
	if (publishStep >= 0 && list[publishStep].env?.NODE_AUTH_TOKEN !== '${{ secrets.NPM_TOKEN }}') {
		fail(file, 'the publish step must take NODE_AUTH_TOKEN from secrets.NPM_TOKEN (used when trusted publishing is not set up)');
	}
	passed.push('publish.yml: YAML, workflow schema, v*.*.* tags only, id-token: write + contents: read, preflight → build → lint → test → checks → Node 24 → publish --provenance');
}

// ---- preflight and CHANGELOG -----------------------------------------------------------------

const goodTag = `v${pkg.version}`;
const npmVersion = execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim();
for (const problem of preflightProblems(goodTag, undefined)) fail('preflight', problem);
if (preflightProblems(`v${pkg.version}-not-this`, undefined).length === 0) fail('preflight', 'accepted a tag that is not package.json\'s version');
if (preflightProblems(goodTag, '11.5.0').length === 0) fail('preflight', 'accepted npm 11.5.0 for trusted publishing');
passed.push(`preflight: ${goodTag} accepted, another tag and npm 11.5.0 refused (this npm: ${npmVersion})`);

const changelog = existsSync(path.join(ROOT, 'CHANGELOG.md')) ? readFileSync(path.join(ROOT, 'CHANGELOG.md'), 'utf8') : '';
const section = changelog.split(/^## /m).find((part) => part.startsWith(`[${pkg.version}]`)) ?? '';
const placeholder = section.match(/\b(TODO|TBD|FIXME|XXX)\b|<[^>\n]*(fill|placeholder|describe)[^>\n]*>/i);
if (placeholder) fail('CHANGELOG.md', `the ${pkg.version} section still holds "${placeholder[0]}"`);
if (section && !/^### /m.test(section)) fail('CHANGELOG.md', `the ${pkg.version} section lists no changes`);
// The upgrade test starts from the release before this one: the CHANGELOG's next section down.
const versions = [...changelog.matchAll(/^## \[(\d+\.\d+\.\d+[^\]]*)\]/gm)].map((match) => match[1]);
const previous = versions[versions.indexOf(pkg.version) + 1];
const baselineFile = 'e2e/lib/baseline.ts';
const baseline = existsSync(path.join(ROOT, baselineFile)) ? readFileSync(path.join(ROOT, baselineFile), 'utf8').match(/BASELINE\s*=\s*\{[^}]*version:\s*'([^']+)'/)?.[1] : undefined;
if (!previous) fail('CHANGELOG.md', `no release below ${pkg.version}: the upgrade test needs one as its baseline`);
else if (baseline !== previous) fail(baselineFile, `the upgrade test's BASELINE is ${baseline ?? 'not found'}, the release before ${pkg.version} is ${previous}`);
passed.push(`CHANGELOG.md: a ${pkg.version} section, no placeholder; the upgrade test starts from ${previous} (${baselineFile})`);

// ---- the package -----------------------------------------------------------------------------

const work = mkdtempSync(path.join(os.tmpdir(), 'check-release-'));
try {
	const npm = (args) => execFileSync('npm', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
	const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', work]));
	const files = packed.files.map((f) => f.path);
	const has = new Set(files);
	const stray = files.filter((f) => !/^(dist\/|package\.json$|README\.md$|LICENSE$|CHANGELOG\.md$)/.test(f));
	if (stray.length) fail('package', `unexpected files: ${stray.join(', ')}`);
	const sources = files.filter((f) => /\.(ts|map)$/.test(f) && !f.endsWith('.d.ts') || /(^|\/)(test|__tests__)\/|\.test\.js$/.test(f));
	if (sources.length) fail('package', `sources, maps or tests packed: ${sources.join(', ')}`);
	const entries = [...(pkg.n8n?.nodes ?? []), ...(pkg.n8n?.credentials ?? [])];
	if (!pkg.n8n?.nodes?.length || !pkg.n8n?.credentials?.length) fail('package.json', 'the n8n section must list the nodes and the credential');
	for (const entry of entries) {
		if (!has.has(entry)) {
			fail('package', `${entry} (listed in package.json's n8n section) is not in the tarball`);
			continue;
		}
		// Each entry's icons (`file:x.svg`, light and dark) sit next to it.
		const code = readFileSync(path.join(ROOT, entry), 'utf8');
		for (const [, icon] of code.matchAll(/['"]file:([\w.-]+)['"]/g)) {
			const iconPath = path.posix.join(path.posix.dirname(entry), icon);
			if (!has.has(iconPath)) fail('package', `${entry} shows ${iconPath}, which is not in the tarball`);
		}
	}
	if (Object.keys(pkg.dependencies ?? {}).length) fail('package.json', `runtime dependencies: ${Object.keys(pkg.dependencies).join(', ')}`);
	if (packed.size >= 150_000) fail('package', `${packed.size} bytes packed, the goal is under 150 kB`);
	passed.push(`npm pack: ${packed.filename}, ${(packed.size / 1000).toFixed(1)} kB packed, ${files.length} files, ${entries.length} n8n entries with their icons, 0 dependencies`);

	// The workflow's own command, as a dry run: npm uploads nothing.
	const dry = JSON.parse(npm(['publish', '--dry-run', '--provenance', '--access', 'public', '--json']));
	const published = dry[pkg.name] ?? dry;
	if (published.shasum !== packed.shasum) fail('npm publish --dry-run', `would upload ${published.shasum}, not the checked tarball ${packed.shasum}`);
	else passed.push(`npm publish --dry-run --provenance --access public: ${published.id}, the same tarball (shasum ${packed.shasum.slice(0, 12)})`);
} catch (error) {
	fail('npm', error.stderr ? String(error.stderr).trim() : error.message);
} finally {
	rmSync(work, { recursive: true, force: true });
}

for (const line of passed) console.log(`pass: ${line}`);
for (const problem of problems) console.log(`FAIL: ${problem}`);
if (problems.length) process.exitCode = 1;
