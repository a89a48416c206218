/**
 * `npm run emulator -- [flags]`: the API emulator as a process. The flags are in USAGE below
 * (`--help` prints it). Prints one JSON line {"ready": true, "baseUrl": ..., "apis": ...} when
 * listening; SIGINT/SIGTERM stop it.
 */
import type { ApiFlavour, EmulatorOptions, Shape, WaitParam } from './emulator';
import { API_FLAVOURS, LumaEmulator } from './emulator';

export const USAGE = `npm run emulator -- [flags]
  --port 8787 --host 127.0.0.1 --keys k1,k2 --time-scale 0.1 (all times scaled)
  --apis luma|unified|both      the APIs served; the others' paths answer 404 "Cannot POST /path"
                                (default: env LUMA_EMULATOR_APIS, else both)
  --hold-ms 30000 --queued-ms 2000 --dreaming-ms 5000
  --shape upstream|status-field|video-object|video-url|suffixed-id   (the Luma endpoint's answers)
  --wait-param schema|state|status|both|none --many-shape array|object
  --many-returns any|all --many-endpoint on|refused --early-return-rate 0.2
  --unified-credits completed|always|never   when unified answers carry meta.usage.credits_used
  --cross-api-ids               a generation answers on the API that did not create it too
  --error5xx 0.1 --too-many429 0.1 --reset 0.02 --hang 0.01 --malformed 0.01 --retry-after-ms 1000
  --failure-rate 0.05 --create-limit 20 --create-window-ms 60000 --running-limit 10 --credits 100
  --large-video-bytes 209715200 --asset-origin http://host:port --path-prefix /luma --seed 1
Key: test-key unless --keys. Prompt markers: [fail] [fail-frames] [fail-moderation] [fail-prompt] [slow] [large].`;

/** Flags that need no value: `--cross-api-ids` alone means true. */
const SWITCHES = ['cross-api-ids'];

function parseFlags(argv: string[]): Record<string, string> {
	const flags: Record<string, string> = {};
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		if (!arg.startsWith('--')) throw new Error(`Unexpected argument ${arg}`);
		const [name, inline] = arg.slice(2).split('=', 2);
		if (inline === undefined && SWITCHES.includes(name) && (argv[i + 1] === undefined || argv[i + 1].startsWith('--'))) {
			flags[name] = 'true';
			continue;
		}
		if (inline === undefined && argv[i + 1] === undefined) throw new Error(`--${name} needs a value`);
		flags[name] = inline ?? argv[++i];
	}
	return flags;
}

function main(): void {
	const argv = process.argv.slice(2);
	if (argv.includes('--help') || argv.includes('-h')) {
		console.log(USAGE);
		return;
	}
	let flags: Record<string, string>;
	try {
		flags = parseFlags(argv);
		if (flags.apis !== undefined && !(API_FLAVOURS as readonly string[]).includes(flags.apis)) {
			throw new Error(`--apis must be one of ${API_FLAVOURS.join(', ')}, not "${flags.apis}"`);
		}
	} catch (error) {
		console.error(`${(error as Error).message}\n\n${USAGE}`);
		process.exit(2);
	}
	const scale = Number(flags['time-scale'] ?? 1);
	const num = (name: string, fallback?: number) => (flags[name] === undefined ? fallback : Number(flags[name]));
	const ms = (name: string, fallback: number) => (num(name, fallback) as number) * scale;
	const apis = flags.apis as ApiFlavour | undefined;
	const options: EmulatorOptions = {
		apis,
		unifiedCredits: (flags['unified-credits'] as 'completed' | 'always' | 'never') ?? 'completed',
		crossApiIds: flags['cross-api-ids'] === 'true',
		runningLimit: num('running-limit'),
		pathPrefix: flags['path-prefix'],
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
	let emulator: LumaEmulator;
	try {
		emulator = new LumaEmulator(options);
	} catch (error) {
		console.error((error as Error).message);
		process.exit(2);
	}
	emulator.start().then(
		() => console.log(JSON.stringify({ ready: true, baseUrl: emulator.baseUrl, keys: options.keys, apis: emulator.options.apis })),
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
