/**
 * Runs the credential's declarative test the way n8n's credentials tester does (the same code in
 * 1.123 and 2.41): its request through n8n-core's RoutingNode (with the credential's own
 * authentication), `responseCode` rules on an HTTP error, `responseSuccessBody` rules on a success.
 * As n8n 1.x, the request's `ignoreHttpStatusErrors` is read as a boolean, the only form 1.x knows
 * (n8n-core 1.x: `if (ignoreHttpStatusErrors) validateStatus = () => true`).
 * The e2e suite runs the real tester in real n8n of both lines.
 */
import { ExecuteContext, RoutingNode } from 'n8n-core';
import type { ICredentialDataDecryptedObject, ICredentialTestRequest, INode, INodeType, IRunExecutionData, IWorkflowExecuteAdditionalData } from 'n8n-workflow';
import { NodeHelpers, Workflow } from 'n8n-workflow';

import { ApilaplasApi } from '../../credentials/ApilaplasApi.credentials';
import type { N8nLine } from '../../e2e/lib/runtime';
import { prepareEngine, TestCredentialsHelper } from './engine';

export async function testCredential(data: ICredentialDataDecryptedObject, line: N8nLine = '2x'): Promise<{ status: 'OK' | 'Error'; message: string }> {
	await prepareEngine();
	const { request: asWritten, rules = [] } = new ApilaplasApi().test;
	const request: ICredentialTestRequest['request'] =
		line === '1x' ? { ...asWritten, ignoreHttpStatusErrors: Boolean(asWritten.ignoreHttpStatusErrors) } : asWritten;
	const nodeType: INodeType = {
		description: {
			displayName: 'Temp',
			name: 'temp',
			group: ['transform'],
			version: 1,
			description: '',
			defaults: {},
			inputs: ['main'],
			outputs: ['main'],
			credentials: [{ name: 'apilaplasApi', required: true }],
			properties: [{ displayName: 'Temp', name: 'temp', type: 'string', default: '', routing: { request } }],
		},
	};
	const node: INode = {
		id: 'temp',
		name: 'Temp-Node',
		type: 'temp',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
		credentials: { apilaplasApi: { id: 'c', name: 'c' } },
	};
	const workflow = new Workflow({
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes: {
			getByName: () => nodeType,
			getByNameAndVersion: () => NodeHelpers.getVersionedNodeType(nodeType, 1),
			getKnownTypes: () => ({}),
		},
	});
	const additionalData = {
		credentialsHelper: new TestCredentialsHelper({ apilaplasApi: data }),
		variables: {},
	} as unknown as IWorkflowExecuteAdditionalData;
	const runExecutionData = { resultData: { runData: {} } } as unknown as IRunExecutionData;
	const context = new ExecuteContext(workflow, node, additionalData, 'internal', runExecutionData, 0, [], { main: [[{ json: {} }]] }, { node, data: {}, source: null }, []);
	const routingNode = new RoutingNode(context, nodeType, { id: 'c', name: 'c', type: 'apilaplasApi', data });
	let response: Awaited<ReturnType<RoutingNode['runNode']>>;
	try {
		response = await routingNode.runNode();
	} catch (error) {
		const answer = (error as { cause?: { response?: { status: number; statusText?: string } } }).cause?.response;
		if (answer) {
			const rule = rules.find((r) => r.type === 'responseCode' && r.properties.value === answer.status);
			if (rule) return { status: 'Error', message: rule.properties.message };
			return { status: 'Error', message: answer.statusText || `Received HTTP status code: ${answer.status}` };
		}
		return { status: 'Error', message: (error as Error).message };
	}
	const body = response?.[0]?.[0]?.json as Record<string, unknown> | undefined;
	for (const rule of rules) {
		if (rule.type === 'responseSuccessBody' && body?.[rule.properties.key] === rule.properties.value) {
			return { status: 'Error', message: rule.properties.message };
		}
	}
	return { status: 'OK', message: 'Connection successful!' };
}
