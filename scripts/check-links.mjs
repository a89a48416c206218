#!/usr/bin/env node
/**
 * `node scripts/check-links.mjs [files...]`: checks the links of the repository's documents.
 * Default files: README.md, CONTRIBUTING.md and every docs/*.md.
 *
 * - a relative link (`docs/durability.md`, `../examples/showcase.json`, `#limits`) must name a
 *   file or folder of the repository, and its `#anchor` a heading of that Markdown file, slugged
 *   the way GitHub slugs headings (see `slug` below);
 * - an absolute link must be a well-formed http(s) or mailto URL (it is not fetched);
 * - no document may point at a file outside the repository (`../../elsewhere.md`).
 *
 * Links inside fenced code blocks and inline code are not links and are skipped.
 * Prints one line per broken link (`file:line: link: why`) and exits 1 if there is any; else
 * prints how many links it checked and exits 0.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * GitHub's heading slug (github-slugger): lower case; every character that is not a letter, a
 * mark, a digit, `_`, `-` or a space dropped; each space becomes `-` (runs are not collapsed).
 */
export function slug(text) {
	return text
		.toLowerCase()
		.replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
		.replace(/ /g, '-');
}

/** The text GitHub renders for a heading's Markdown: inline code, emphasis and links reduced to their text. */
function headingText(markdown) {
	return markdown
		.replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
		.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
		.replace(/`([^`]*)`/g, '$1')
		.replace(/(\*\*|__)(.+?)\1/g, '$2')
		.replace(/(\*|_)(.+?)\1/g, '$2')
		.replace(/<[^>]+>/g, '')
		.trim();
}

/** Lines outside fenced code blocks: [{ number, text, blanked }], `blanked` with its inline code spaced out. */
function proseLines(markdown) {
	const lines = [];
	let fence = null;
	markdown.split('\n').forEach((line, index) => {
		const opener = /^\s*(`{3,}|~{3,})/.exec(line);
		if (fence) {
			if (opener && opener[1][0] === fence[0] && opener[1].length >= fence.length) fence = null;
			return;
		}
		if (opener) {
			fence = opener[1];
			return;
		}
		lines.push({ number: index + 1, text: line, blanked: line.replace(/(`+)[^`]*?\1/g, (m) => ' '.repeat(m.length)) });
	});
	return lines;
}

const anchorCache = new Map();

/** Every anchor a Markdown file offers: its headings' slugs, duplicates numbered `-1`, `-2` as GitHub does. */
function anchorsOf(file) {
	if (anchorCache.has(file)) return anchorCache.get(file);
	const seen = new Map();
	const anchors = new Set();
	for (const { text } of proseLines(readFileSync(file, 'utf8'))) {
		const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
		if (!heading) continue;
		const base = slug(headingText(heading[1]));
		const count = seen.get(base) ?? 0;
		seen.set(base, count + 1);
		anchors.add(count === 0 ? base : `${base}-${count}`);
	}
	for (const match of readFileSync(file, 'utf8').matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(match[1]);
	anchorCache.set(file, anchors);
	return anchors;
}

/** The links of a line: inline links and images `[text](target "title")`, and `<https://…>` autolinks. */
function linksOf(text) {
	const links = [];
	for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push(match[1]);
	for (const match of text.matchAll(/<((?:https?|mailto):[^>\s]+)>/g)) links.push(match[1]);
	return links;
}

function checkLink(file, link) {
	if (/^[a-z][a-z0-9+.-]*:/i.test(link)) {
		if (/^mailto:[^@\s]+@[^@\s]+$/.test(link)) return null;
		if (!/^https?:\/\//i.test(link)) return 'not an http(s) or mailto link';
		try {
			const url = new URL(link);
			if (!url.hostname.includes('.') && url.hostname !== 'localhost') return 'no proper host name';
		} catch {
			return 'not a well-formed URL';
		}
		return null;
	}
	const [pathPart, anchor] = link.split('#', 2);
	const target = pathPart === '' ? file : resolve(dirname(file), decodeURIComponent(pathPart));
	if (target !== root && !target.startsWith(root + sep)) return 'points outside the repository';
	if (!existsSync(target)) return `no such file: ${relative(root, target)}`;
	if (anchor === undefined) return null;
	if (statSync(target).isDirectory() || !target.endsWith('.md')) return 'an anchor into a file that is not Markdown';
	if (!anchorsOf(target).has(decodeURIComponent(anchor))) return `no heading #${anchor} in ${relative(root, target)}`;
	return null;
}

function defaultFiles() {
	const files = ['README.md', 'CONTRIBUTING.md'].map((f) => join(root, f)).filter((f) => existsSync(f));
	const docs = join(root, 'docs');
	if (existsSync(docs)) {
		for (const name of readdirSync(docs).sort()) if (name.endsWith('.md')) files.push(join(docs, name));
	}
	return files;
}

const files = process.argv.length > 2 ? process.argv.slice(2).map((f) => resolve(f)) : defaultFiles();
let checked = 0;
const broken = [];
for (const file of files) {
	for (const { number, blanked } of proseLines(readFileSync(file, 'utf8'))) {
		for (const link of linksOf(blanked)) {
			checked++;
			const why = checkLink(file, link);
			if (why) broken.push(`${relative(root, file)}:${number}: ${link}: ${why}`);
		}
	}
}
if (broken.length) {
	console.error(broken.join('\n'));
	console.error(`${broken.length} broken link(s) of ${checked} in ${files.length} file(s)`);
	process.exit(1);
}
console.log(`${checked} links in ${files.length} file(s): every one resolves`);
