/**
 * The floor for the memory figure: a bare Node 24 process, with n8n's HTTP client (axios) loaded
 * as in n8n, streams the same video to disk with plain http and fs. Whatever its RSS grows by is
 * V8 collecting socket buffers lazily, not anything n8n or our node keeps.
 * Usage: node memory-floor.js <url> <file> <axios module path>; prints {"growth": bytes}.
 */
const fs = require('node:fs');
const http = require('node:http');

require(process.argv[4]);
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
const baseline = rss();
let peak = baseline;
const sampler = setInterval(() => (peak = Math.max(peak, rss())), 10);
http.get(process.argv[2], async (res) => {
	await fs.promises.writeFile(process.argv[3], res);
	clearInterval(sampler);
	peak = Math.max(peak, rss());
	fs.rmSync(process.argv[3], { force: true });
	console.log(JSON.stringify({ growth: peak - baseline }));
});
