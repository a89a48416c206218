/** Once per e2e run: the n8n line of E2E_N8N_LINE installed (cached in its runtime folder), and this package built and packed. */
import { buildAndPack, ensureRuntime } from './lib/runtime';

export default async function globalSetup(): Promise<void> {
	await ensureRuntime();
	process.env.E2E_TARBALL = await buildAndPack();
}
