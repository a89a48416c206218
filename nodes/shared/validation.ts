/**
 * Checks on what a user typed, run for every item before any request is sent. Each error
 * names the item, the field, what is wrong and how to fix it.
 */
import type { INode } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { generationUuid } from './generation';

export class InputChecker {
	constructor(
		private readonly node: INode,
		readonly itemIndex: number,
	) {}

	fail(field: string, problem: string, fix: string): never {
		throw new NodeOperationError(this.node, `${field} ${problem} [item ${this.itemIndex}]`, {
			itemIndex: this.itemIndex,
			description: fix,
		});
	}

	text(field: string, value: unknown, { min = 0, max = Infinity } = {}): string {
		if (value === undefined || value === null || value === '') {
			return this.fail(field, 'is empty', `Fill in ${field}, or map it from an earlier node.`);
		}
		if (typeof value !== 'string') {
			return this.fail(field, `must be text, but got ${describe(value)}`, `Map ${field} to a single text value.`);
		}
		if (value.trim() === '') return this.fail(field, 'is empty', `Fill in ${field}, or map it from an earlier node.`);
		if (value.length < min) {
			return this.fail(field, `is too short (${value.length} characters)`, `${field} needs ${min} to ${max.toLocaleString('en-US')} characters.`);
		}
		if (value.length > max) {
			return this.fail(field, `is too long (${value.length.toLocaleString('en-US')} characters)`, `${field} needs ${min} to ${max.toLocaleString('en-US')} characters: shorten it.`);
		}
		return value;
	}

	/** One of `allowed`, exactly (the API is case-sensitive). */
	oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
		if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
		const near = typeof value === 'string' ? allowed.find((option) => option.toLowerCase() === value.trim().toLowerCase()) : undefined;
		return this.fail(
			field,
			`"${typeof value === 'string' ? value : describe(value)}" is not a valid value`,
			`${near ? `Did you mean "${near}"? ` : ''}Use one of: ${allowed.join(', ')}.`,
		);
	}

	/** A generation id: a UUID, optionally with a gateway suffix (which is dropped). */
	generationId(field: string, value: unknown): string {
		if (Array.isArray(value)) {
			return this.fail(field, 'must be a single generation ID, but got a list', 'Map one ID per item, e.g. {{ $json.id }}.');
		}
		const text = this.text(field, value);
		const uuid = generationUuid(text);
		if (!uuid) {
			return this.fail(
				field,
				`"${text.length > 60 ? `${text.slice(0, 60)}…` : text}" is not a generation ID`,
				'A generation ID is a UUID such as 0f3ea4aa-10e7-4dae-af0b-263ab4ac45f9: map the id that Luma Generate output.',
			);
		}
		return uuid;
	}

	/** An absolute http(s) URL. */
	url(field: string, value: unknown): string {
		const text = this.text(field, value).trim();
		let url: URL | undefined;
		try {
			url = new URL(text);
		} catch {
			url = undefined;
		}
		if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
			return this.fail(
				field,
				`"${text.length > 80 ? `${text.slice(0, 80)}…` : text}" is not an http(s) URL`,
				`${field} must be a full public address starting with https:// (or http://).`,
			);
		}
		return text;
	}

	number(field: string, value: unknown, { min, max, unit }: { min: number; max: number; unit: string }): number {
		if (typeof value !== 'number' || !Number.isFinite(value)) {
			return this.fail(field, `must be a number, but got ${describe(value)}`, `Set ${field} to a number of ${unit}.`);
		}
		if (value < min || value > max) {
			return this.fail(field, `is ${value} ${unit}, outside ${min} to ${max.toLocaleString('en-US')}`, `Set ${field} between ${min} and ${max.toLocaleString('en-US')} ${unit}.`);
		}
		return value;
	}
}

function describe(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'a list';
	if (typeof value === 'object') return 'an object';
	if (typeof value === 'string') return `"${value}"`;
	return `a ${typeof value} (${String(value)})`;
}
