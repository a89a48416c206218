import type { IAuthenticateGeneric, ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

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
				'Where the API is served: the address only, without a path such as /v2. Change it only for another gateway with the same paths, or a local emulator.',
		},
		{
			displayName: 'API',
			name: 'api',
			type: 'options',
			default: 'auto',
			options: [
				{
					name: 'Automatic',
					value: 'auto',
					description: 'Find out once which of the gateway\'s APIs it serves, and use the right one for each model',
				},
				{
					name: 'Unified Video API',
					value: 'unified',
					description: '/v2/video/generations: Ray 2, Ray Flash 2 and Ray 3.2',
				},
				{
					name: 'Luma Endpoint',
					value: 'luma',
					description: '/v2/generate/video/luma-ai: Ray 2 and Ray Flash 2, with the long poll and callbacks',
				},
			],
			description: 'Which of the gateway\'s two video APIs the nodes use. Automatic suits every gateway; the test below says which it found.',
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

	// The test is node-defined (`testedBy` in both nodes, nodes/shared/credentialTest.ts): it reads
	// both APIs and tells apart a missing route, a web page and a refused key, which declarative
	// rules cannot.
}
