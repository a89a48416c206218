/**
 * Runs a Luma Generate request builder without a server: parameters are loaded the way n8n loads
 * a saved node (NodeHelpers.getNodeParameters for the node's typeVersion, which applies every
 * display option), then read as the node reads them. Expressions are limited to `={{ <JSON> }}`.
 */
import type { IExecuteFunctions, INode, INodeParameters, INodeProperties, INodeTypeDescription } from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';

export const UUID1 = '0f3ea4aa-10e7-4dae-af0b-263ab4ac45f9';
export const UUID2 = '755f9bbb-d99b-4880-992b-f05244ddba61';
export const IMG_A = 'https://example.com/a.png';
export const IMG_B = 'https://example.com/b.png';
export const VIDEO = 'https://cdn.example.com/source.mp4';
export const PROMPT = 'A red fox in fresh snow';

/** A parameter set to an expression that resolves to `value` (n8n shows every field an expression could unlock). */
export function expr(value: unknown): string {
	return `={{ ${JSON.stringify(value)} }}`;
}

function evaluate(value: unknown): unknown {
	if (typeof value !== 'string' || !value.startsWith('=')) return value;
	const match = /^=\{\{ (.*) \}\}$/s.exec(value);
	if (!match) throw new Error(`the test harness cannot evaluate ${value}: set the parameter explicitly`);
	return JSON.parse(match[1]);
}

export function nodeOf(type: INodeTypeDescription, typeVersion: number, parameters: INodeParameters): INode {
	return { id: 'node-1', name: 'Luma Generate', type: `n8n-nodes-apilaplas-luma.${type.name}`, typeVersion, position: [0, 0], parameters };
}

/** The parameters n8n keeps for a saved node: those shown for its version, defaults filled in. */
export function load(type: INodeTypeDescription, typeVersion: number, parameters: INodeParameters): INodeParameters {
	return NodeHelpers.getNodeParameters(type.properties, parameters, true, false, nodeOf(type, typeVersion, parameters), type) ?? {};
}

/** What `this` is for the node's execute(), as far as a request builder uses it. */
export function contextFor(type: INodeTypeDescription, typeVersion: number, parameters: INodeParameters): IExecuteFunctions {
	const loaded = load(type, typeVersion, parameters);
	const node = nodeOf(type, typeVersion, loaded);
	return {
		getNode: () => node,
		// n8n-core: lodash `get(node.parameters, name, fallback)`, then expressions are resolved.
		getNodeParameter: (name: string, _itemIndex: number, fallback?: unknown) => (loaded[name] === undefined ? fallback : evaluate(loaded[name])),
	} as unknown as IExecuteFunctions;
}

/** A context that hands the builder every parameter as given, shown or not (no n8n path does this). */
export function rawContext(type: INodeTypeDescription, typeVersion: number, parameters: INodeParameters): IExecuteFunctions {
	const node = nodeOf(type, typeVersion, parameters);
	return {
		getNode: () => node,
		getNodeParameter: (name: string, _itemIndex: number, fallback?: unknown) => (parameters[name] === undefined ? fallback : evaluate(parameters[name])),
	} as unknown as IExecuteFunctions;
}

export type Builder = (ctx: IExecuteFunctions, itemIndex: number) => unknown;

/** The request as JSON text (the bytes the Luma endpoint gets), or the error a user would read. */
export function outcome(build: Builder, ctx: IExecuteFunctions, itemIndex = 0): string {
	try {
		return JSON.stringify(build(ctx, itemIndex));
	} catch (error) {
		const { message, description } = error as Error & { description?: string };
		return `ERROR ${message} | ${description}`;
	}
}

/** A small deterministic random source, so a sample is the same on every run. */
export function random(seed: number): () => number {
	return () => {
		seed = (seed + 0x6d2b79f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/**
 * A saved version 1 node in each mode, with fields set by expression (they show every field they
 * could unlock) and with values version 2 added (they must unlock nothing in version 1).
 */
export const SHOWN_CASES: INodeParameters[] = ['textToVideo', 'imageToVideo', 'extend', 'reverseExtend', 'interpolate'].flatMap((mode) =>
	[{}, { model: '={{ $json.model }}', loop: '={{ $json.loop }}' }, { model: 'ray-3.2', hdr: true }].map((values) => ({ mode, ...values })),
);

/** Options added to the Options collection after the release: absent from a saved node until a user adds them. */
const ADDED_OPTIONS = ['maxQueueWaitMinutes'];

/** The fields a node shows for `values` (on the canvas, or in its AI Agent tool variant): name, kind, default and choices. */
export function fieldsShown(type: INodeTypeDescription, values: INodeParameters, toolVariant: boolean, typeVersion = 1) {
	const description = toolVariant ? { ...type, name: `${type.name}Tool` } : type;
	const node = nodeOf(description, typeVersion, values);
	const loaded = load(description, typeVersion, values);
	return description.properties
		.filter((property) => NodeHelpers.displayParameter(loaded, property, node, description))
		.map(({ name, type: kind, default: value, options }) => ({
			name,
			kind,
			value,
			choices: (options as Array<{ value?: unknown; name: string }> | undefined)
				?.map((option) => option.value ?? option.name)
				.filter((choice) => !ADDED_OPTIONS.includes(choice as string)),
		}));
}

/**
 * The fields of `typeVersion` in a version's description: every version's class describes both
 * versions' fields, each shown only for its own (`@version`, see nodes/LumaGenerate/versions.ts).
 */
export function fieldsOf(type: INodeTypeDescription, typeVersion: number): INodeProperties[] {
	return type.properties.filter((property) => {
		const versions = property.displayOptions?.show?.['@version'];
		return versions === undefined || versions.includes(typeVersion);
	});
}
