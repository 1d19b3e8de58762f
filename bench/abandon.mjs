// Abandoned connections: open N connections to llmux, each sends its
// headers and part of a body and closes, C at a time; meanwhile sample
// the descriptors (/proc/PID/fd) and VmRSS of the given worker.  Bounded:
// N connections, then one more second of samples.
//
//   node bench/abandon.mjs PORT WORKER_PID [N=6000] [C=500]
//
// Prints the peak and the last sample as one JSON line.
import fs from 'node:fs';
import net from 'node:net';

const [port, pid, total = 6000, conc = 500] = process.argv.slice(2)
    .map(Number);
if (!port || !pid) {
	console.error('usage: abandon.mjs PORT WORKER_PID [N] [C]');
	process.exit(2);
}

function sample() {
	const st = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
	return { fds: fs.readdirSync(`/proc/${pid}/fd`).length,
	    rss_kb: Number(st.match(/^VmRSS:\s+(\d+)/m)[1]) };
}

function one() {
	return new Promise((resolve) => {
		const s = net.connect(port, '127.0.0.1');
		s.on('connect', () => {
			s.write('POST /v1/chat/completions HTTP/1.1\r\n' +
			    'Host: x\r\nContent-Type: application/json\r\n' +
			    'Content-Length: 4000\r\n\r\n{"model":"x",');
			setTimeout(() => s.destroy(), 20);
		});
		s.on('error', () => {});
		s.on('close', resolve);
	});
}

const base = sample();
let peak = { ...base };
const timer = setInterval(() => {
	const s = sample();
	if (s.fds > peak.fds)
		peak.fds = s.fds;
	if (s.rss_kb > peak.rss_kb)
		peak.rss_kb = s.rss_kb;
}, 20);
const t0 = Date.now();
let started = 0;
async function lane() {
	while (started < total) {
		started++;
		await one();
	}
}
await Promise.all(Array.from({ length: conc }, lane));
const ms = Date.now() - t0;
await new Promise((r) => setTimeout(r, 1000));
clearInterval(timer);
console.log(JSON.stringify({ connections: total, ms, base, peak,
    after_1s: sample() }));
