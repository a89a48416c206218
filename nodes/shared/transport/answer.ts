/** Reading the raw parts of an HTTP answer: the JSON body and the Retry-After header. */
import { excerpt, UnreadableAnswerError } from '../generation';

/** The body as JSON; UnreadableAnswerError (with an excerpt) when it is empty or not JSON. */
export function parseJson(body: unknown): unknown {
	if (typeof body !== 'string') {
		if (body === undefined || body === null) throw new UnreadableAnswerError('The server sent an empty answer.');
		return body;
	}
	if (body.trim() === '') throw new UnreadableAnswerError('The server sent an empty answer.');
	const NOT_JSON = Symbol('not JSON');
	let parsed: unknown = NOT_JSON;
	try {
		parsed = JSON.parse(body);
	} catch {
		// reported below, with an excerpt of what came back
	}
	if (parsed === NOT_JSON) throw new UnreadableAnswerError(`The server's answer is not JSON: ${excerpt(body)}`);
	return parsed;
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
	if (value === undefined || value.trim() === '') return undefined;
	const seconds = Number(value);
	if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
	const date = Date.parse(value);
	return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
