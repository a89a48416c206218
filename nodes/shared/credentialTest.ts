/**
 * The Apilaplas API credential's test ("Test" in the credential dialog): it passes only when the
 * server has shown it is the API, by answering a free read of a generation that does not exist
 * the way the API does, and has taken the key. It reads both of the gateway's APIs (or the one
 * the credential names) and says which it found. Every other outcome fails with what to fix.
 *
 * The reads are sent by the transport (`credentialTestProbe` in `transport/probe.ts`): the key
 * goes to the configured Base URL only, and redirects are not followed (they could lead elsewhere).
 */
import type { ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';

import type { ApiName } from './models';
import type { ProbeVerdict } from './transport/probe';
import { credentialTestProbe, diagnose } from './transport/probe';
import { lumaApi } from './transport/luma';
import { normalizeBaseUrl, readApiSetting } from './transport/credentials';
import { unifiedApi } from './transport/unified';

/** Network failures, in words that say what to check. */
const NETWORK_HINTS: Record<string, string> = {
	ENOTFOUND: 'its host name does not exist: check the Base URL for typos',
	EAI_AGAIN: 'its host name could not be looked up (DNS): check the network, then the Base URL',
	ECONNREFUSED: 'nothing answers at that address and port: check the Base URL',
	ECONNRESET: 'the connection was cut: check the Base URL (http or https?) and any proxy',
	ETIMEDOUT: 'it did not answer in time: check the network and the Base URL',
	ECONNABORTED: 'it did not answer in time: check the network and the Base URL',
	CERT_HAS_EXPIRED: 'its TLS certificate has expired',
	DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
	UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate cannot be verified',
	ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate is for another host name',
	EPROTO: 'the TLS handshake failed: check http:// versus https:// in the Base URL',
};

const API_NAMES: Record<ApiName, string> = { luma: 'the Luma endpoint', unified: 'the unified video API' };

function fail(message: string, fix: string): INodeCredentialTestResult {
	return { status: 'Error', message: `${message}. ${fix}` };
}

/** n8n's `credentialTest` method: OK only when the API answered and took the key. */
export async function testApilaplasApi(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	const data = credential.data ?? {};
	let baseUrl: string;
	try {
		baseUrl = normalizeBaseUrl(data.baseUrl);
	} catch (error) {
		return fail((error as Error).message, 'Fix the Base URL.');
	}
	const apiKey = typeof data.apiKey === 'string' ? data.apiKey.trim() : '';
	if (apiKey === '') return fail('The API Key is empty', 'Paste your Apilaplas API key.');

	const setting = readApiSetting(data.api);
	const apis = setting === 'auto' ? [lumaApi, unifiedApi] : [setting === 'luma' ? lumaApi : unifiedApi];
	const outcomes = await Promise.all(apis.map((api) => credentialTestProbe(this, baseUrl, apiKey, api)));

	const network = outcomes.find((outcome): outcome is { networkCode: string } => 'networkCode' in outcome);
	if (network && outcomes.every((outcome) => 'networkCode' in outcome)) {
		const hint = NETWORK_HINTS[network.networkCode] ?? `the request failed (${network.networkCode}): check the Base URL and the network`;
		return fail(`No answer from ${baseUrl}`, `${hint[0].toUpperCase()}${hint.slice(1)}.`);
	}
	const verdicts: Partial<Record<ApiName, ProbeVerdict>> = {};
	apis.forEach((api, index) => {
		const outcome = outcomes[index];
		if ('verdict' in outcome) verdicts[api.name] = outcome.verdict;
	});
	const { served, problem } = diagnose(verdicts, baseUrl);
	if (problem) {
		if (setting !== 'auto' && verdicts[apis[0].name]?.kind === 'noRoute') {
			return fail(
				`${baseUrl} does not serve ${API_NAMES[apis[0].name]} (no such route)`,
				'Set API to Automatic to use whichever API the gateway serves, or check the Base URL.',
			);
		}
		return fail(problem.message, problem.fix);
	}
	const found =
		served.length === 2
			? 'the gateway serves both Luma APIs: the unified video API (Ray 2, Ray Flash 2, Ray 3.2) and the Luma endpoint (Ray 2, Ray Flash 2)'
			: served[0] === 'unified'
				? 'the gateway serves the unified video API (Ray 2, Ray Flash 2, Ray 3.2)'
				: 'the gateway serves the Luma endpoint (Ray 2, Ray Flash 2; Ray 3.2 needs the unified video API)';
	return { status: 'OK', message: `Connection successful: ${found}` };
}
