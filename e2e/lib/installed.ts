/**
 * What n8n says is installed, read as its editor reads it: the type files it serves
 * (/types/nodes.json, /types/credentials.json, both lines), and a saved node checked the way the
 * editor checks it on opening a workflow (its type and version resolve, its parameters resolve
 * against the description, no parameter issues), with the n8n-workflow of the runtime's n8n.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

import type { INode, INodeParameters, INodeProperties, INodeTypeDescription } from 'n8n-workflow';

import type { WorkflowNode } from './examples';
import { OWNER, RUNTIME_DIR, waitUntil } from './runtime';

type NodeHelpers = typeof import('n8n-workflow').NodeHelpers;
const { NodeHelpers } = createRequire(path.join(RUNTIME_DIR, 'package.json'))('n8n-workflow') as { NodeHelpers: NodeHelpers };

export interface TypeFiles {
	nodes: INodeTypeDescription[];
	credentials: Array<{ name: string; displayName: string }>;
}

/** GET /types/nodes.json and /types/credentials.json as the logged-in owner (n8n serves them only so). */
export async function typeFiles(url: string): Promise<TypeFiles> {
	const login = await fetch(`${url}/rest/login`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ emailOrLdapLoginId: OWNER.email, password: OWNER.password }),
	});
	if (!login.ok) throw new Error(`n8n login failed: ${login.status}`);
	const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
	// n8n writes the files a moment after it starts answering: a 404 is asked again.
	const get = <T>(file: string): Promise<T> =>
		waitUntil(`n8n serves /types/${file}`, async () => {
			const res = await fetch(`${url}/types/${file}`, { headers: { Cookie: cookie } });
			if (res.status === 404) return undefined;
			if (!res.ok) throw new Error(`GET /types/${file} → ${res.status}`);
			return (await res.json()) as T;
		}, 60_000);
	return { nodes: await get<INodeTypeDescription[]>('nodes.json'), credentials: await get<TypeFiles['credentials']>('credentials.json') };
}

function versions(description: INodeTypeDescription): number[] {
	return Array.isArray(description.version) ? description.version : [description.version];
}

/** Every `name@version` n8n lists whose name starts with `prefix` (e.g. the package name and a dot). */
export function listedTypes(types: TypeFiles, prefix: string): string[] {
	return types.nodes
		.filter((description) => description.name.startsWith(prefix))
		.flatMap((description) => versions(description).map((version) => `${description.name}@${version}`))
		.sort();
}

/** The description n8n runs a saved node with: its type, a version that includes the node's (undefined: "unknown node"). */
export function resolveNode(types: TypeFiles, node: WorkflowNode): INodeTypeDescription | undefined {
	return types.nodes.find((description) => description.name === node.type && versions(description).includes(node.typeVersion));
}

/** The node's parameters as the editor resolves them on opening the workflow (defaults filled in, hidden ones dropped). */
export function resolvedParameters(description: INodeTypeDescription, node: WorkflowNode): INodeParameters {
	return NodeHelpers.getNodeParameters(description.properties as INodeProperties[], node.parameters as INodeParameters, true, false, node as unknown as INode, description) ?? {};
}

/** The parameter issues the editor shows on the node (null: none). */
export function parameterIssues(description: INodeTypeDescription, node: WorkflowNode): unknown {
	const resolved = { ...(node as unknown as INode), parameters: resolvedParameters(description, node) };
	return NodeHelpers.getNodeParametersIssues(description.properties as INodeProperties[], resolved, description);
}
