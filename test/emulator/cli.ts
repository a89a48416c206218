/**
 * `npm run emulator -- [flags]`: the API emulator as a process.
 *   --port 8787 --host 127.0.0.1 --keys k1,k2 --time-scale 0.1 (all times scaled)
 *   --hold-ms 30000 --queued-ms 2000 --dreaming-ms 5000
 *   --shape upstream|status-field|video-object|video-url|suffixed-id
 *   --wait-param schema|state|status|both|none --many-shape array|object
 *   --many-returns any|all --many-endpoint on|refused --early-return-rate 0.2
 *   --error5xx 0.1 --too-many429 0.1 --reset 0.02 --hang 0.01 --malformed 0.01
 *   --failure-rate 0.05 --create-limit 20 --create-window-ms 60000 --credits 100 --large-video-bytes 209715200
 * Prints one JSON line {"ready": true, "baseUrl": ...} when listening; SIGINT/SIGTERM stop it.
 */
import type { EmulatorOptions, Shape, WaitParam } from './emulator';
import { LumaEmulator } from './emulator';

function parseFlags(argv: string[]): Record<string, string> {
	const flags: Record<string, string> = {};
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		if (!arg.startsWith('--')) throw new Error(`Unexpected argument ${arg}`);
		const [name, inline] = arg.slice(2).split('=', 2);
		flags[name] = inline ?? argv[++i];
	}
	return flags;
}

function main(): void {
	const flags = parseFlags(process.argv.slice(2));
	const scale = Number(flags['time-scale'] ?? 1);
	const num = (name: string, fallback?: number) => (flags[name] === undefined ? fallback : Number(flags[name]));
	const ms = (name: string, fallback: number) => (num(name, fallback) as number) * scale;
	const options: EmulatorOptions = {
		host: flags.host ?? '127.0.0.1',
		port: num('port', 8787),
		keys: (flags.keys ?? 'test-key').split(','),
		holdMs: ms('hold-ms', 30_000),
		queuedMs: ms('queued-ms', 2_000),
		dreamingMs: ms('dreaming-ms', 5_000),
		shape: (flags.shape as Shape) ?? 'upstream',
		waitParam: (flags['wait-param'] as WaitParam) ?? 'schema',
		manyShape: (flags['many-shape'] as 'array' | 'object') ?? 'array',
		manyReturns: (flags['many-returns'] as 'any' | 'all') ?? 'any',
		manyEndpoint: (flags['many-endpoint'] as 'on' | 'refused') ?? 'on',
		earlyReturnRate: num('early-return-rate', 0),
		faults: {
			error5xx: num('error5xx', 0),
			tooMany429: num('too-many429', 0),
			reset: num('reset', 0),
			hang: num('hang', 0),
			malformed: num('malformed', 0),
			retryAfterMs: ms('retry-after-ms', 1000),
		},
		createLimit: flags['create-limit']
			? { count: Number(flags['create-limit']), windowMs: ms('create-window-ms', 60_000) }
			: undefined,
		credits: num('credits'),
		largeVideoBytes: num('large-video-bytes', 200 * 1024 * 1024),
		assetOrigin: flags['asset-origin'],
		failureRate: num('failure-rate', 0),
		seed: num('seed', 1),
	};
	const emulator = new LumaEmulator(options);
	emulator.start().then(
		() => console.log(JSON.stringify({ ready: true, baseUrl: emulator.baseUrl, keys: options.keys })),
		(error) => {
			console.error(`The emulator could not start: ${String(error)}`);
			process.exit(1);
		},
	);
	const stop = () => void emulator.stop().then(() => process.exit(0));
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
}

main();
