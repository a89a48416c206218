/**
 * A private npm registry on 127.0.0.1 for the install and upgrade tests (verdaccio, pinned by
 * e2e/registry/package-lock.json, installed there once per lockfile), and the README's npm
 * commands run the way a user runs them in n8n's nodes folder.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import type { Background, N8nHome } from './runtime';
import { ensureCachedInstall, prepareHome, ROOT, run, spawnBackground, step, waitForHttp } from './runtime';

export const PACKAGE_NAME = 'n8n-nodes-apilaplas-luma';

/**
 * The README's commands, run in n8n's nodes folder (`~/.n8n/nodes`). `--legacy-peer-deps` keeps
 * npm from installing the peer dependency n8n-workflow: n8n lends its own copy to community
 * packages, and its own installer leaves peers out too. Upgrading needs `@latest`: the saved
 * range (^0.1.0) keeps `npm update` and a bare `npm install` on 0.1.x.
 */
export const README_INSTALL = ['install', PACKAGE_NAME, '--legacy-peer-deps'];
export const README_UPGRADE = ['install', `${PACKAGE_NAME}@latest`, '--legacy-peer-deps'];

const REGISTRY_DIR = path.join(ROOT, 'e2e', 'registry');
const VERDACCIO = path.join(REGISTRY_DIR, 'node_modules', 'verdaccio', 'bin', 'verdaccio');

/** Installs verdaccio for e2e/registry once per lockfile, in the cache shared by clones (see ensureCachedInstall); later runs reuse it. */
export async function ensureVerdaccio(): Promise<void> {
	await ensureCachedInstall(REGISTRY_DIR, 'registry', '', async (dir) => {
		step('registry: installing verdaccio (first run only)…');
		await run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir });
	});
}

/** A free loopback port, as the system hands one out. */
function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as { port: number };
			server.close(() => resolve(port));
		});
	});
}

/** A running registry: its URL, and publishing a packed tarball to it. */
export class LocalRegistry {
	private constructor(
		readonly url: string,
		private readonly folder: string,
		private readonly server: Background,
		/** An npm user config holding this registry's publish token (never printed). */
		private readonly userconfig: string,
	) {}

	/**
	 * Starts verdaccio on a free loopback port, storage in a temp folder, no uplink: it serves only
	 * what the test publishes, so an install that reaches for anything else fails. Creates a user
	 * through its API for publishing.
	 */
	static async start(): Promise<LocalRegistry> {
		await ensureVerdaccio();
		const folder = mkdtempSync(path.join(os.tmpdir(), 'luma-registry-'));
		const config = path.join(folder, 'config.yaml');
		writeFileSync(
			config,
			[
				`storage: ${path.join(folder, 'storage')}`,
				'auth:',
				'  htpasswd:',
				`    file: ${path.join(folder, 'htpasswd')}`,
				'uplinks: {}',
				'packages:',
				"  '**':",
				'    access: $all',
				'    publish: $authenticated',
				'log: { type: stdout, format: pretty, level: warn }',
				'',
			].join('\n'),
		);
		const port = await freePort();
		const url = `http://127.0.0.1:${port}`;
		step(`registry: starting verdaccio on ${url}…`);
		const server = spawnBackground(process.execPath, [VERDACCIO, '--config', config, '--listen', `127.0.0.1:${port}`], { cwd: folder });
		await waitForHttp(server, `${url}/-/ping`, (status) => status === 200, 60_000);
		const res = await fetch(`${url}/-/user/org.couchdb.user:e2e`, {
			method: 'PUT',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ name: 'e2e', password: `e2e-${port}-not-a-secret` }),
		});
		const { token } = (await res.json()) as { token?: string };
		if (!res.ok || !token) {
			await server.stop();
			throw new Error(`verdaccio refused to create the publishing user (${res.status})`);
		}
		const userconfig = path.join(folder, 'npmrc');
		writeFileSync(userconfig, `//127.0.0.1:${port}/:_authToken=${token}\n`, { mode: 0o600 });
		return new LocalRegistry(url, folder, server, userconfig);
	}

	/** `npm publish <tarball>` to this registry (tagged latest); resolves with the version published. */
	async publish(tarball: string): Promise<string> {
		const { stdout } = await run('npm', ['publish', tarball, '--registry', this.url, '--userconfig', this.userconfig, '--loglevel=error'], { cwd: this.folder });
		const published = /\+ (\S+)@(\S+)/.exec(stdout);
		if (!published) throw new Error(`npm publish printed no "+ name@version":\n${stdout}`);
		step(`registry: published ${published[1]}@${published[2]}`);
		return published[2];
	}

	/** Stops verdaccio and removes its storage. */
	async stop(): Promise<void> {
		await this.server.stop();
		rmSync(this.folder, { recursive: true, force: true });
	}

	/**
	 * Runs npm in a home's nodes folder as the README tells users, against this registry. The npm
	 * cache is the registry's own (a fresh one per test run), so a rebuilt 0.2.0 is never
	 * answered from an earlier run's cache.
	 */
	async npmInNodesFolder(home: N8nHome, args: string[]): Promise<void> {
		step(`${path.relative(ROOT, nodesFolder(home))}: npm ${args.join(' ')} (registry ${this.url})`);
		await run('npm', [...args, '--registry', this.url, '--cache', path.join(this.folder, 'npm-cache'), '--no-audit', '--no-fund', '--loglevel=error'], {
			cwd: nodesFolder(home),
		});
	}
}

/** `<user folder>/.n8n/nodes`, where n8n loads community packages from. */
export function nodesFolder(home: N8nHome): string {
	return path.join(home.folder, '.n8n', 'nodes');
}

/**
 * A fresh n8n user folder whose nodes folder holds nothing but the package.json n8n writes there
 * on its first start, as a user finds it before installing any community package. (Without a
 * package.json there, npm would install into the nearest parent folder that has one.)
 */
export async function emptyHome(name: string, port: number): Promise<N8nHome> {
	// prepareHome sets up the environment; its copy of the package is removed at once.
	const home = await prepareHome(name, process.env.E2E_TARBALL!, port);
	const nodes = nodesFolder(home);
	rmSync(nodes, { recursive: true, force: true });
	mkdirSync(nodes, { recursive: true });
	writeFileSync(path.join(nodes, 'package.json'), JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }, null, 2));
	return home;
}

/** What the nodes folder holds: the packages on disk in its node_modules, and our package's version. */
export function installedInNodesFolder(home: N8nHome): { packages: string[]; version: string | undefined } {
	const modules = path.join(nodesFolder(home), 'node_modules');
	const names = existsSync(modules) ? readdirSync(modules).filter((name) => !name.startsWith('.')) : [];
	const packages = names.flatMap((name) => (name.startsWith('@') ? readdirSync(path.join(modules, name)).map((inner) => `${name}/${inner}`) : [name])).sort();
	const manifest = path.join(modules, PACKAGE_NAME, 'package.json');
	const version = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version : undefined;
	return { packages, version };
}
