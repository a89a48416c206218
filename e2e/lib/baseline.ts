/**
 * The upgrade test's baseline: the release users upgrade from, built from git once per commit and
 * machine, and cached outside the clone (CI runs in a fresh clone each time) in
 * $XDG_CACHE_HOME/n8n-nodes-apilaplas-luma/baseline-<commit>/ (default ~/.cache/…): its packed
 * tarball and its own examples/. A commit's build never changes, so clones share it.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { Workflow } from './examples';
import { run, step } from './runtime';

/**
 * The previous release; once 0.2.0 is on npm, the last release (then `ref` is its git tag, e.g.
 * `v0.2.0`, and `version` its version). There is none on npm yet: main at 51e2fac (0.1.0).
 */
export const BASELINE = { ref: '51e2fac44dbf4802bb2c961b1f21f34da6442735', version: '0.1.0' };

export interface Baseline {
	version: string;
	/** The package as `npm pack` made it at the baseline. */
	tarball: string;
	/** The baseline's examples/ folder, as its users have the workflows saved. */
	examplesDir: string;
}

/**
 * The baseline, built on first use: `git archive` of BASELINE.ref into a temp folder, `npm ci`,
 * `npm run build`, `npm pack` (about 60 s, mostly npm ci); later calls reuse the cached build.
 * Throws if the clone lacks the commit (a shallow clone: fetch it with `git fetch --unshallow`).
 */
export async function buildBaseline(): Promise<Baseline> {
	const { stdout } = await run('git', ['rev-parse', '--verify', `${BASELINE.ref}^{commit}`], { allowFailure: true });
	const commit = stdout.trim();
	if (!/^[0-9a-f]{40}$/.test(commit)) throw new Error(`the baseline ${BASELINE.ref} is not in this clone (shallow? run git fetch --unshallow)`);
	const cache = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'n8n-nodes-apilaplas-luma');
	const dir = path.join(cache, `baseline-${commit.slice(0, 12)}`);
	const done = path.join(dir, '.complete');
	if (!existsSync(done)) {
		step(`baseline: building ${BASELINE.version} from git ${commit.slice(0, 7)} (npm ci, build, pack; once per commit)…`);
		const source = mkdtempSync(path.join(os.tmpdir(), 'luma-baseline-'));
		const staging = `${dir}.partial-${process.pid}`;
		try {
			await run('bash', ['-c', `git archive ${commit} | tar -x -C "${source}"`]);
			await run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: source, env: { ...process.env, npm_config_yes: 'true' } });
			await run('npm', ['run', 'build', '--silent'], { cwd: source });
			mkdirSync(staging, { recursive: true });
			const packed = await run('npm', ['pack', '--pack-destination', staging, '--silent'], { cwd: source });
			const file = packed.stdout.trim().split('\n').pop()!;
			const version = /-(\d+\.\d+\.\d+[^/]*)\.tgz$/.exec(file)?.[1];
			if (version !== BASELINE.version) throw new Error(`the baseline packed ${file}, not version ${BASELINE.version}`);
			renameSync(path.join(staging, file), path.join(staging, 'package.tgz'));
			cpSync(path.join(source, 'examples'), path.join(staging, 'examples'), { recursive: true });
			writeFileSync(path.join(staging, '.complete'), JSON.stringify({ commit, version }));
			rmSync(dir, { recursive: true, force: true });
			renameSync(staging, dir);
		} finally {
			rmSync(source, { recursive: true, force: true });
			rmSync(staging, { recursive: true, force: true });
		}
		step('baseline: built');
	}
	const { version } = JSON.parse(readFileSync(done, 'utf8')) as { version: string };
	return { version, tarball: path.join(dir, 'package.tgz'), examplesDir: path.join(dir, 'examples') };
}

/** The baseline's example workflows, by file name. */
export function baselineExamples(baseline: Baseline): Array<{ file: string; workflow: Workflow }> {
	return readdirSync(baseline.examplesDir)
		.filter((name) => name.endsWith('.json'))
		.sort()
		.map((file) => ({ file, workflow: JSON.parse(readFileSync(path.join(baseline.examplesDir, file), 'utf8')) as Workflow }));
}
