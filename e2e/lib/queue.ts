/**
 * n8n's queue mode for the e2e tests: a private PostgreSQL cluster and a Redis server from
 * Debian's packages on loopback ports (state under .e2e/), and the settings that make an n8n home
 * a queue main or a worker. Everything started here is stopped by its PID.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';

import type { Background, N8nHome, RunningN8n } from './runtime';
import { shiftPort, spawnBackground, spawnN8n, STATE_DIR, step, waitForHttp, waitReady } from './runtime';

/** The ports a test names; each is shifted by shiftPort (e2e/lib/runtime.ts) where it is used. */
export interface QueuePorts {
	postgres: number;
	redis: number;
	/** The worker's health server (n8n's default, 5678, belongs to nobody here). */
	workerHealth: number;
}

const MISSING = 'run .ci/run once, or: apt-get install -y postgresql redis-server';

/** The newest PostgreSQL server Debian installed (/usr/lib/postgresql/<major>/bin). */
function postgresBinDir(): string {
	const root = '/usr/lib/postgresql';
	const majors = existsSync(root) ? readdirSync(root).filter((major) => existsSync(path.join(root, major, 'bin', 'postgres'))) : [];
	const newest = majors.sort((a, b) => Number(b) - Number(a))[0];
	if (!newest) throw new Error(`PostgreSQL is not installed: ${MISSING}`);
	return path.join(root, newest, 'bin');
}

/** PostgreSQL refuses to run as root: as root, the cluster belongs to Debian's `postgres` user. */
function serverUser(): { uid: number; gid: number } | undefined {
	if (process.getuid?.() !== 0) return undefined;
	const entry = readFileSync('/etc/passwd', 'utf8')
		.split('\n')
		.map((line) => line.split(':'))
		.find((fields) => fields[0] === 'postgres');
	if (!entry) throw new Error(`there is no "postgres" user to run PostgreSQL as: ${MISSING}`);
	return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

function execAs(command: string, args: string[], user: { uid: number; gid: number } | undefined): Promise<void> {
	return new Promise((resolve, reject) => {
		execFile(command, args, { ...user, timeout: 120_000 }, (error, stdout, stderr) =>
			error ? reject(new Error(`${command} failed: ${error.message}\n${stdout}\n${stderr}`)) : resolve(),
		);
	});
}

/** Sends `request` to a loopback port and resolves with the first answer (empty when refused). */
function ask(port: number, request: string): Promise<string> {
	return new Promise((resolve) => {
		const socket = connect(port, '127.0.0.1');
		socket.setTimeout(2_000, () => socket.destroy());
		socket.once('connect', () => socket.write(request));
		socket.once('data', (data) => {
			socket.destroy();
			resolve(data.toString());
		});
		socket.once('error', () => resolve(''));
		socket.once('close', () => resolve(''));
	});
}

/** A fresh cluster (trust auth, user `postgres`, no fsync: test data only), TCP on 127.0.0.1 only. */
export async function startPostgres(port: number): Promise<Background> {
	port = shiftPort(port);
	const bin = postgresBinDir();
	const user = serverUser();
	const dataDir = path.join(STATE_DIR, 'queue-postgres');
	rmSync(dataDir, { recursive: true, force: true });
	mkdirSync(dataDir, { recursive: true, mode: 0o700 });
	if (user) chownSync(dataDir, user.uid, user.gid);
	step(`PostgreSQL: a private cluster in ${path.relative(process.cwd(), dataDir)} on port ${port}…`);
	await execAs(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync'], user);
	const server = spawnBackground(
		path.join(bin, 'postgres'),
		['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
		{ ...user, cwd: dataDir },
	);
	const isReady = () => execAs(path.join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)], undefined).then(() => true, () => false);
	await waitReady('PostgreSQL', server, isReady, 60_000);
	// SIGINT is PostgreSQL's fast shutdown.
	return { ...server, stop: () => server.stop('SIGINT') };
}

/** redis-server without persistence, on 127.0.0.1 only. */
export async function startRedis(port: number): Promise<Background> {
	port = shiftPort(port);
	const dir = path.join(STATE_DIR, 'queue-redis');
	rmSync(dir, { recursive: true, force: true });
	mkdirSync(dir, { recursive: true });
	step(`Redis: redis-server on port ${port}…`);
	const server = spawnBackground('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { cwd: dir });
	await waitReady(`redis-server (if missing: ${MISSING})`, server, async () => (await ask(port, 'PING\r\n')).startsWith('+PONG'), 60_000);
	return server;
}

/** A home's environment for queue mode: Postgres, Redis, n8n's queue default for binary data (database), info log. */
export function queueHome(home: N8nHome, ports: QueuePorts, role: 'main' | 'worker'): N8nHome {
	const env: NodeJS.ProcessEnv = {
		...home.env,
		EXECUTIONS_MODE: 'queue',
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: '127.0.0.1',
		DB_POSTGRESDB_PORT: String(shiftPort(ports.postgres)),
		DB_POSTGRESDB_DATABASE: 'postgres',
		DB_POSTGRESDB_USER: 'postgres',
		DB_POSTGRESDB_PASSWORD: '',
		QUEUE_BULL_REDIS_HOST: '127.0.0.1',
		QUEUE_BULL_REDIS_PORT: String(shiftPort(ports.redis)),
		N8N_LOG_LEVEL: 'info',
	};
	delete env.N8N_DEFAULT_BINARY_DATA_MODE;
	if (role === 'worker') {
		Object.assign(env, {
			QUEUE_HEALTH_CHECK_ACTIVE: 'true',
			QUEUE_HEALTH_CHECK_PORT: String(shiftPort(ports.workerHealth)),
			N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
		});
	}
	return { ...home, env };
}

/** `n8n worker`, ready when its health server answers /healthz. Start it after main (migrations). */
export async function startWorker(home: N8nHome, ports: QueuePorts, concurrency = 2): Promise<RunningN8n> {
	const health = shiftPort(ports.workerHealth);
	step(`n8n worker: starting (health on port ${health})…`);
	const worker = spawnN8n(home, ['worker', `--concurrency=${concurrency}`], 2_000_000);
	await waitForHttp(worker, `http://127.0.0.1:${health}/healthz`, (status) => status === 200);
	step('n8n worker: ready');
	return worker;
}

/** How many executions a worker has finished so far, from its log (n8n's "Worker finished execution" lines). */
export function finishedExecutions(worker: RunningN8n): number {
	return (worker.output().match(/Worker finished execution/g) ?? []).length;
}
