/**
 * Once per e2e run: the n8n line of E2E_N8N_LINE installed (cached, see e2e/lib/runtime.ts), and
 * this package built and packed, unless E2E_TARBALL already names a packed tarball (.ci/run packs
 * once for both lines, which run at once and must not build into dist/ together).
 */
import { existsSync } from 'node:fs';

import { buildAndPack, ensureRuntime } from './lib/runtime';

export default async function globalSetup(): Promise<void> {
	await ensureRuntime();
	const given = process.env.E2E_TARBALL;
	if (given && existsSync(given)) return;
	process.env.E2E_TARBALL = await buildAndPack();
}
