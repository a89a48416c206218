import type {
	IAuthenticateGeneric,
	IAuthenticateRuleResponseCode,
	IAuthenticateRuleResponseSuccessBody,
	ICredentialTestRequest,
	ICredentialType,
	Icon,
	INodeProperties,
} from 'n8n-workflow';

/** Any generation id: a valid key gets 404 for it, an invalid one 401. Nothing is created. */
const PROBE_GENERATION_ID = '00000000-0000-4000-8000-000000000000';

/** The answers that fail the credential test, each with what the user is told. */
const REJECTED: Array<[status: number, message: string]> = [
	[401, 'The API key is missing or invalid (HTTP 401)'],
	[403, 'The API key was accepted but the account is out of credits (HTTP 403)'],
	[500, 'The gateway had an internal error (HTTP 500): try again later'],
	[502, 'The gateway could not reach the model (HTTP 502): try again later'],
	[503, 'The service is unavailable (HTTP 503): try again later'],
];

/**
 * n8n 2.x throws on the statuses in `except` and its tester matches them to `responseCode` rules.
 * n8n 1.x reads `ignoreHttpStatusErrors` as a plain `true`: every answer arrives as a success, so
 * there the gateway's error body (`{statusCode, message, …}`) is matched by `responseSuccessBody`
 * rules. Both testers read each rule by its type; n8n's type only lists one kind per array.
 */
const TEST_RULES = [
	...REJECTED.map(([value, message]): IAuthenticateRuleResponseCode => ({ type: 'responseCode', properties: { value, message } })),
	...REJECTED.map(
		([value, message]): IAuthenticateRuleResponseSuccessBody => ({ type: 'responseSuccessBody', properties: { key: 'statusCode', value, message } }),
	),
] as IAuthenticateRuleResponseCode[];

export class ApilaplasApi implements ICredentialType {
	name = 'apilaplasApi';

	displayName = 'Apilaplas API';

	icon: Icon = { light: 'file:apilaplas.svg', dark: 'file:apilaplas.dark.svg' };

	documentationUrl = 'https://docs.apilaplas.com/quickstart/setting-up';

	properties: INodeProperties[] = [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'Your Apilaplas API key. Spaces around it are ignored.',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://api.apilaplas.com',
			description:
				'Where the API is served. Change it only for another gateway with the same paths, or a local emulator.',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{ String($credentials.apiKey).trim() }}',
			},
		},
	};

	// A read of a generation that does not exist: a 404 (or 400) means the key was accepted.
	// It costs nothing; only the statuses in REJECTED fail the test, each with its own message.
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{ String($credentials.baseUrl || "https://api.apilaplas.com").trim() }}',
			url: '/v2/generate/video/luma-ai/generation',
			method: 'GET',
			qs: { generation_id: PROBE_GENERATION_ID },
			ignoreHttpStatusErrors: { ignore: true, except: REJECTED.map(([status]) => status) },
		},
		rules: TEST_RULES,
	};
}
