/** Once per e2e run: n8n installed (cached in e2e/runtime), and this package built and packed. */
import { buildAndPack, ensureRuntime } from './lib/runtime';

export default async function globalSetup(): Promise<void> {
	await ensureRuntime();
	process.env.E2E_TARBALL = await buildAndPack();
}
