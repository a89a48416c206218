/**
 * Both nodes as tools of n8n's AI Agent. n8n runs a `usableAsTool` node under its type name
 * plus `Tool` (in every agent version; `isToolExecution()` is false in the 3.x agent's path), and
 * shows a property only in that variant with `displayOptions: { show: { '@tool': [true] } }`.
 */
import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

export function isToolRun(ctx: IExecuteFunctions): boolean {
	return ctx.getNode().type.endsWith('Tool');
}

/**
 * The tool's "Description", what the model reads about it. n8n adds its own (the node's
 * description, written for people) unless the node has this property; a replacement in
 * `usableAsTool` is not used when a workflow runs, this is.
 */
export function toolDescriptionProperty(forModel: string): INodeProperties {
	return {
		displayName: 'Description',
		name: 'toolDescription',
		type: 'string',
		typeOptions: { rows: 4 },
		default: forModel,
		required: true,
		description: 'What the model reads about this tool',
		displayOptions: { show: { '@tool': [true] } },
	};
}

/** A parameter in two forms: as written on the canvas, and with other settings in the tool variant. */
export function canvasAndTool(property: INodeProperties, inTool: Partial<INodeProperties>): INodeProperties[] {
	const displayOptions = property.displayOptions ?? {};
	return [
		{ ...property, displayOptions: { ...displayOptions, hide: { ...displayOptions.hide, '@tool': [true] } } },
		{ ...property, ...inTool, displayOptions: { ...displayOptions, show: { ...displayOptions.show, '@tool': [true] } } },
	];
}

/** A default that the model fills in: the key becomes a parameter of the tool, described for the model. */
export function fromModel(key: string, forModel: string, type: 'string' | 'number' = 'string'): string {
	// Our own texts, kept free of quotes so they need no escaping.
	return `={{ $fromAI('${key}', '${forModel}', '${type}') }}`;
}
