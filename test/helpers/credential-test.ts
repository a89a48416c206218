/**
 * Runs the credential's test the way n8n's credentials tester does: the nodes' `testedBy`
 * method, called with n8n-core's own CredentialTestContext (its real legacy `request` helper).
 * The e2e suite runs the real tester behind POST /rest/credentials/test in n8n 1.x and 2.x.
 */
import { CredentialTestContext } from 'n8n-core';
import type { ICredentialDataDecryptedObject, ICredentialTestFunction, ICredentialTestFunctions, INodeCredentialTestResult, IWorkflowExecuteAdditionalData } from 'n8n-workflow';

import { LumaGenerate } from '../../nodes/LumaGenerate/LumaGenerate.node';
import { LumaWait } from '../../nodes/LumaWait/LumaWait.node';
import { prepareEngine } from './engine';

/** The test both nodes name in `testedBy`: they must agree, n8n may pick either. */
function credentialTest() {
	const names = [new LumaGenerate().getNodeType(), new LumaWait()].map((node) => {
		const credential = node.description.credentials?.find((entry) => entry.name === 'apilaplasApi');
		const name = credential?.testedBy;
		if (typeof name !== 'string') throw new Error(`${node.description.name} does not name a credential test`);
		const tests = node.methods?.credentialTest as Record<string, ICredentialTestFunction> | undefined;
		const method = tests?.[name];
		if (!method) throw new Error(`${node.description.name} has no credentialTest method ${name}`);
		return method;
	});
	if (names[0] !== names[1]) throw new Error('the two nodes offer different credential tests');
	return names[0];
}

export async function testCredential(data: ICredentialDataDecryptedObject): Promise<INodeCredentialTestResult> {
	await prepareEngine();
	const context = new CredentialTestContext({} as IWorkflowExecuteAdditionalData) as unknown as ICredentialTestFunctions;
	return await credentialTest().call(context, { id: 'c', name: 'c', type: 'apilaplasApi', data });
}
