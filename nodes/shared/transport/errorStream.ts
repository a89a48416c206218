/** Reading the error answer to a download, which n8n hands over as a stream. */

/** Enough of an error body to quote the server's message. */
const MAX_CHARS = 4096;

/**
 * The start of an error answer to a download, as text (at most about MAX_CHARS characters);
 * the rest is dropped with the socket. A broken stream yields what arrived. Never throws.
 */
export async function readErrorStream(stream: unknown): Promise<string> {
	const source = stream as AsyncIterable<Uint8Array | string> & { destroy?: () => void };
	const decoder = new TextDecoder();
	let text = '';
	try {
		for await (const chunk of source) {
			text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
			if (text.length > MAX_CHARS) break;
		}
	} catch {
		// a broken error body: what arrived is enough
	}
	source.destroy?.();
	return text;
}
