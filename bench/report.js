'use strict';
/*
 * report.js: turns the runs of `make bench` into the report.
 *
 *   node report.js report RUNDIR OUTBASE   writes OUTBASE.md, .json, .png
 *   node report.js check RUNDIR            the smoke's verdict (exit 1 on
 *                                          any failure)
 *
 * RUNDIR holds runs.jsonl (one line per target, scenario and round, written
 * by lib.sh), meta.json (settings and core layout, from run.sh) and, when
 * the build had it, microbench.txt.  Every figure is the median of the
 * rounds that succeeded, with min-max; "added" figures subtract direct's
 * figure of the same round before taking the median, so the interleaved
 * rounds cancel drift.  Nothing is dropped: a failed or skipped round is
 * listed with its reason, and every error counted in any round is shown.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const cp = require('child_process');

const TARGETS = ['direct', 'nginx', 'portkey', 'llmux-min', 'llmux-router',
  'llmux-full'];
const LLMUX = ['llmux-min', 'llmux-router', 'llmux-full'];
const SCEN = {
  'a': { title: '(a) non-streamed, small body, 50 connections, closed loop',
    kind: 'wrk' },
  'a-lat': { title: '(a, paced) the same at a fixed request rate: latency',
    kind: 'wrk' },
  'b': { title: '(b) 1,000 connections, the mock answering after 100 ms',
    kind: 'wrk' },
  'c': { title: '(c) streamed, 100 chunks per answer', kind: 'sse' },
  'd': { title: '(d) 2 MB request bodies', kind: 'wrk' },
};

function readRuns(dir) {
  const f = path.join(dir, 'runs.jsonl');
  const out = [];
  for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
    if (line.trim() === '')
      continue;
    try {
      out.push(JSON.parse(line));
    } catch (e) {
      out.push({ target: '?', scenario: '?', status: 'failed',
        reason: 'unparsable run record: ' + line.slice(0, 120) });
    }
  }
  return out;
}

function median(v) {
  if (v.length === 0)
    return null;
  const s = v.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function stat(values) {
  const v = values.filter((x) => typeof x === 'number' && isFinite(x));
  if (v.length === 0)
    return null;
  return { median: median(v), min: Math.min(...v), max: Math.max(...v),
    n: v.length, values: v };
}

/* Per-round figures of one run record. */
function figures(run) {
  const f = {};
  const L = run.load, P = run.proc, R = run.rest;
  if (L && SCEN[run.scenario] && SCEN[run.scenario].kind === 'wrk') {
    const secs = L.duration_us / 1e6;
    const e = L.errors;
    f.requests = L.requests;
    f.rps = secs > 0 ? L.requests / secs : null;
    for (const p of ['p50', 'p90', 'p99', 'p999'])
      f[p] = L.lat_us[p] / 1000;	/* ms */
    f.err_socket = e.connect + e.read + e.write + e.timeout;
    f.err_status = Math.max(e.status, L.bad || 0);
    f.err_detail = e;
    f.bad = L.bad || 0;
    f.bad_sample = L.bad_sample || '';
  } else if (L) {
    f.requests = L.streams_ok;
    f.rps = L.streams_per_s;
    for (const p of ['p50', 'p90', 'p99', 'p999']) {
      f['ttfb_' + p] = L.ttfb_us.n ? L.ttfb_us[p] / 1000 : null;
      f['relay_' + p] = L.relay_us.n ? L.relay_us[p] : null;	/* µs */
      f[p] = L.stream_us.n ? L.stream_us[p] / 1000 : null;
    }
    f.chunks = L.chunks;
    f.stamped = L.stamped_chunks;
    f.err_socket = L.errors.connect + L.errors.write + L.errors.read +
        L.errors.timeout;
    f.err_status = L.errors.status + L.errors.body;
    f.err_detail = L.errors;
    f.first_error = L.first_error;
  }
  if (P) {
    f.cpu_s = P.cpu_s;
    if (f.requests > 0)
      f.cpu_per_1000 = P.cpu_s / f.requests * 1000;
    f.rss_sum_mb = P.peak_rss_sum_kb / 1024;
    f.rss_proc_mb = P.peak_rss_max_proc_kb / 1024;
    f.nprocs = P.nprocs;
    f.procs = P.procs;
    if (typeof P.machine_busy_s === 'number' && P.wall_s > 0)
      f.others_pct = Math.max(0, P.machine_busy_s - P.bench_cpu_s) /
          (P.wall_s * os.cpus().length) * 100;
  }
  if (R) {
    f.rest_sum_mb = R.rest_rss_sum_kb / 1024;
    f.rest_proc_mb = Math.max(0, ...R.procs.map((p) => p.rest_rss_kb)) / 1024;
  }
  return f;
}

const NUMERIC = ['others_pct', 'rps', 'p50', 'p90', 'p99', 'p999', 'cpu_per_1000',
  'rss_sum_mb', 'rss_proc_mb', 'rest_sum_mb', 'rest_proc_mb', 'nprocs',
  'ttfb_p50', 'ttfb_p90', 'ttfb_p99', 'ttfb_p999', 'relay_p50', 'relay_p90',
  'relay_p99', 'relay_p999', 'requests', 'chunks', 'stamped'];
const ADDED = ['p50', 'p90', 'p99', 'p999', 'ttfb_p50', 'ttfb_p99',
  'relay_p50', 'relay_p99', 'relay_p999'];

function aggregate(runs) {
  const res = {};
  for (const s of Object.keys(SCEN)) {
    const direct = {};
    for (const r of runs)
      if (r.scenario === s && r.target === 'direct' && r.status === 'ok')
        direct[r.round] = figures(r);
    for (const t of TARGETS) {
      const rs = runs.filter((r) => r.scenario === s && r.target === t);
      if (rs.length === 0)
        continue;
      const ok = rs.filter((r) => r.status === 'ok');
      const figs = ok.map(figures);
      const a = { status: ok.length === rs.length ? 'ok' :
          ok.length > 0 ? 'partial' : rs[0].status,
        rounds: rs.length, rounds_ok: ok.length,
        reasons: [...new Set(rs.filter((r) => r.status !== 'ok')
            .map((r) => r.reason))],
        m: {}, added: {}, errors: { socket: 0, status: 0 }, error_samples: [] };
      for (const k of NUMERIC)
        a.m[k] = stat(figs.map((f) => f[k]));
      for (const k of ADDED) {
        const v = [];
        ok.forEach((r, i) => {
          const d = direct[r.round];
          if (d && typeof d[k] === 'number' && typeof figs[i][k] === 'number')
            v.push(figs[i][k] - d[k]);
        });
        a.added[k] = t === 'direct' ? null : stat(v);
      }
      for (const f of figs) {
        a.errors.socket += f.err_socket || 0;
        a.errors.status += f.err_status || 0;
        if ((f.err_socket || f.err_status) && a.error_samples.length < 3)
          a.error_samples.push(JSON.stringify(f.err_detail) +
              (f.bad_sample ? ' first bad: ' + f.bad_sample : '') +
              (f.first_error ? ' first: ' + f.first_error : ''));
      }
      const lastRun = ok[ok.length - 1];
      if (lastRun && lastRun.proc && lastRun.proc.procs) {
        const rest = {};
        for (const p of (lastRun.rest && lastRun.rest.procs) || [])
          rest[p.pid] = p.rest_rss_kb;
        a.procs = lastRun.proc.procs.map((p) => ({
          comm: p.comm + (p.pid === lastRun.proc.root ? ' (main)' : ''),
          peak_rss_mb: +(p.peak_rss_kb / 1024).toFixed(1),
          rest_rss_mb: p.pid in rest ? +(rest[p.pid] / 1024).toFixed(1) : null,
          cpu_s: p.cpu_s }));
      }
      res[s] = res[s] || {};
      res[s][t] = a;
    }
  }
  return res;
}

/* ---- formatting -------------------------------------------------------- */

function num(x, d) {
  if (x === null || x === undefined || !isFinite(x))
    return 'n/a';
  if (d === undefined)
    d = Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2;
  return x.toLocaleString('en-US', { minimumFractionDigits: d,
    maximumFractionDigits: d });
}

function spread(s, d) {
  if (!s)
    return 'n/a';
  if (s.n < 2 || s.min === s.max)
    return num(s.median, d);
  return num(s.median, d) + ' <sub>' + num(s.min, d) + '–' + num(s.max, d) +
      '</sub>';
}

function plus(s, d) {
  if (!s)
    return '—';
  const v = s.median;
  return (v >= 0 ? '+' : '') + num(v, d);
}

function ratio(a, b) {
  if (!a || !b || !b.median)
    return null;
  return a.median / b.median;
}

function ratioText(x) {
  return x === null ? 'n/a' : '**' + num(x, x >= 10 ? 1 : 2) + '×**';
}

/* A command's output (stdout, then stderr), or null when it failed. */
function sh(cmd) {
  const r = cp.spawnSync('/bin/sh', ['-c', cmd], { encoding: 'utf8',
    timeout: 10000 });
  if (r.status !== 0)
    return null;
  return ((r.stdout || '') + (r.stderr || '')).trim() || null;
}

function firstLine(s) {
  return s ? s.split('\n')[0].trim() : 'not found';
}

function machine(meta) {
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ?
    fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = (cpuinfo.match(/^model name\s*:\s*(.*)$/m) || [])[1] ||
      (os.cpus()[0] || {}).model || 'unknown';
  let osname = 'unknown';
  try {
    osname = (fs.readFileSync('/etc/os-release', 'utf8')
        .match(/^PRETTY_NAME="?([^"\n]*)"?/m) || [])[1] || osname;
  } catch (e) { /* not Linux */ }
  const hyp = (sh('lscpu') || '').match(/Hypervisor vendor:\s*(.*)/);
  const pk = path.join(meta.work, 'portkey', 'node_modules', '@portkey-ai',
      'gateway', 'package.json');
  let portkey = 'not installed';
  try {
    portkey = JSON.parse(fs.readFileSync(pk, 'utf8')).version;
  } catch (e) { /* not installed */ }
  const llmuxv = sh('"' + meta.llmux + '" --version');
  return {
    cpu: model,
    cores: os.cpus().length,
    memory_gb: +(os.totalmem() / 2 ** 30).toFixed(1),
    kernel: os.release(),
    os: osname,
    virtualization: hyp ? hyp[1].trim() : 'none reported',
    versions: {
      llmux: (llmuxv && /llmux/i.test(llmuxv) ? firstLine(llmuxv) :
          fs.existsSync(meta.llmux) ? '(no --version)' : '(not built)') +
          (meta.git ? ' (git ' + meta.git + ')' : ''),
      nginx: firstLine(sh('nginx -v 2>&1')).replace(/^nginx version: /, ''),
      portkey: '@portkey-ai/gateway ' + portkey,
      node: process.version,
      wrk: firstLine(sh('wrk --version 2>&1; true')).replace(/ Copyright.*/, ''),
      gnuplot: firstLine(sh('gnuplot --version')),
      cc: firstLine(sh((process.env.CC || 'cc') + ' --version')),
      postgresql: meta.llmux_full ? firstLine(sh('ls /usr/lib/postgresql')) :
          'not used (llmux-full skipped)',
    },
  };
}

/* ---- the report ------------------------------------------------------- */

function describe(s, st) {
  switch (s) {
  case 'a':
    return 'wrk, ' + st.conns + ' connections, as fast as the target ' +
        'answers, a ' + st.small_bytes + '-byte chat completion request';
  case 'a-lat':
    return 'wrk, ' + st.conns + ' connections, each waiting ' +
        Math.round(st.conns * 1000 / st.rate) + ' ms between requests ' +
        '(about ' + st.rate + ' req/s in all, below every target\'s ' +
        'capacity), so the percentiles show latency, not queueing';
  case 'b':
    return 'wrk, ' + st.slow_conns + ' connections, the mock answering ' +
        'after ' + st.slow_ms + ' ms (`[[mock:latency_ms=' + st.slow_ms +
        ']]` in the prompt): at most ' + Math.round(st.slow_conns * 1000 /
        st.slow_ms) + ' req/s by construction';
  case 'c':
    return 'sseclient (bench/sseclient.c), ' + st.streams + ' concurrent ' +
        'streams of ' + st.chunks + ' chunks, ' + st.chunk_delay_ms +
        ' ms apart; the mock stamps each chunk with its send time ' +
        '(`mock_ts_ns`, CLOCK_REALTIME) and the client subtracts it from ' +
        'the time the chunk arrives: that is the relay delay. TTFB is ' +
        'request sent to first chunk received';
  case 'd':
    return 'wrk, ' + st.big_conns + ' connections, a ' +
        (st.big_bytes / 1048576).toFixed(1) + ' MB request body (one long ' +
        'user message), small answer';
  }
  return s;
}

function method(meta) {
  const st = meta.settings;
  return [
    'Every target proxies to the same C mock upstream (`tests/mock/`), ' +
        'started fresh for each target and round on 127.0.0.1; nothing ' +
        'leaves loopback.',
    'Targets: `direct` is the client talking to the mock (the ceiling); ' +
        '`nginx` is `proxy_pass` to an upstream block with `keepalive 64`, ' +
        'HTTP/1.1, no access log, response buffering off; `portkey` is ' +
        '@portkey-ai/gateway under Node with NODE_ENV=production, kept on ' +
        'loopback by a preload (bench/loopback.cjs), routed with ' +
        '`x-portkey-provider: openai` and `x-portkey-custom-host`; ' +
        '`llmux-min` is llmux with the master key and one model, no ' +
        'database; `llmux-router` is llmux-min with a 3-deployment group ' +
        'under usage-based-routing-v2, rpm/tpm limits that never trip and ' +
        'its counters in the LMDB shared state; `llmux-full` adds a virtual key, a 3-deployment group ' +
        'under usage-based-routing-v2 with rpm/tpm limits and spend ' +
        'accounting into PostgreSQL.',
    'Portkey 1.15.2 under Node answers 500 to every streamed request ' +
        '("TypeError: immutable": it appends headers to the upstream ' +
        'fetch() response, whose headers are immutable); the preload gives ' +
        'fetch() responses a mutable copy of their headers, one Headers ' +
        'copy per request. Portkey also waits 25 ms before relaying the ' +
        'first chunk of a stream, by design of its stream reader: that ' +
        'shows in its TTFB.',
    'Rounds are interleaved (round 1 of every target, then round 2, ...), ' +
        'with the target order rotated each round, so drift on a shared ' +
        'machine hits every target alike.',
    'Each target is warmed up (' + st.warmup + ' s; Portkey ' +
        st.portkey_warmup + ' s, as Node needs it) and each scenario gets ' +
        st.scenario_warmup + ' s of unmeasured load before its ' +
        st.duration + ' s run. One request per scenario is checked first ' +
        '(2xx and a body with `choices`, or a complete stream).',
    'Errors: wrk\'s non-2xx count (status ≥ 400) and its socket errors ' +
        '(connect, read, write, timeout at 10 s); sseclient counts non-2xx, ' +
        'malformed or incomplete streams and socket errors. None is ' +
        'dropped from the tables.',
    'RSS: /proc/PID/stat of the target\'s process tree sampled every 25 ms ' +
        'during the run; "sum" is the peak of the tree\'s total, "largest" ' +
        'the peak of one process (a worker). At rest: before the warm-up.',
    'CPU: user + system time of the target\'s processes from ' +
        '/proc/PID/stat over the run, divided by completed requests. For ' +
        '`direct` this is the mock\'s own cost. The mock\'s CPU is not ' +
        'counted for the other targets.',
    'wrk is closed-loop: in (a), (b) and (d) latency includes queueing at ' +
        'saturation; the paced run of (a) gives latency below saturation.',
    'Cores: ' + meta.layout.note + '. On 2 cores the mock competes with ' +
        'the target for its core, which lowers every proxied figure alike ' +
        'and flatters none.',
  ];
}

const TNAME = (t) => '`' + t + '`';

/* "failed: why" or "skipped: why", without saying it twice. */
function statusText(a) {
  const why = a.reasons.join('; ').replace(/^(skipped|failed): */i, '');
  return a.status + (why ? ': ' + why : '');
}

function scenarioTable(s, agg, meta) {
  const rows = [];
  const A = agg[s] || {};
  const wrk = SCEN[s].kind === 'wrk';
  if (wrk) {
    rows.push('| target | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | ' +
        'added p50 / p99 ms | errors (non-2xx / socket) | peak RSS MB ' +
        '(sum / largest process) | CPU s per 1,000 req |');
    rows.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  } else {
    rows.push('| target | streams/s | TTFB p50 / p99 ms | relay p50 µs | ' +
        'relay p90 µs | relay p99 µs | relay p99.9 µs | added relay p99 µs | ' +
        'errors (bad / socket) | peak RSS MB (sum / largest) | ' +
        'CPU s per 1,000 streams |');
    rows.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  }
  for (const t of TARGETS) {
    const a = A[t];
    if (!a)
      continue;
    if (a.rounds_ok === 0) {
      rows.push('| ' + TNAME(t) + ' | ' + statusText(a).replace(/\|/g, '/') +
          (wrk ? ' | | | | | | | | |' : ' | | | | | | | | | |'));
      continue;
    }
    const m = a.m;
    const err = a.errors.status + ' / ' + a.errors.socket;
    const rss = num(m.rss_sum_mb && m.rss_sum_mb.median, 1) + ' / ' +
        num(m.rss_proc_mb && m.rss_proc_mb.median, 1);
    const part = a.status === 'partial' ? ' (' + a.rounds_ok + '/' +
        a.rounds + ' rounds)' : '';
    if (wrk) {
      rows.push('| ' + TNAME(t) + part + ' | ' + spread(m.rps, 0) + ' | ' +
          spread(m.p50) + ' | ' + spread(m.p90) + ' | ' + spread(m.p99) +
          ' | ' + spread(m.p999) + ' | ' +
          (t === 'direct' ? '—' : plus(a.added.p50, 3) + ' / ' +
          plus(a.added.p99, 3)) + ' | ' + err + ' | ' + rss + ' | ' +
          spread(m.cpu_per_1000, 3) + ' |');
    } else {
      const stamped = m.stamped && m.stamped.median > 0;
      rows.push('| ' + TNAME(t) + part + ' | ' + spread(m.rps, 1) + ' | ' +
          num(m.ttfb_p50 && m.ttfb_p50.median) + ' / ' +
          num(m.ttfb_p99 && m.ttfb_p99.median) + ' | ' +
          (stamped ? spread(m.relay_p50, 0) + ' | ' + spread(m.relay_p90, 0) +
          ' | ' + spread(m.relay_p99, 0) + ' | ' + spread(m.relay_p999, 0) :
          'no stamps relayed | | |') + ' | ' +
          (t === 'direct' || !stamped ? '—' : plus(a.added.relay_p99, 0)) +
          ' | ' + err + ' | ' + rss + ' | ' + spread(m.cpu_per_1000, 3) + ' |');
    }
  }
  return rows.join('\n');
}

/*
 * The ratios of each llmux target to nginx and to Portkey, in bold: the
 * throughput where the load is closed-loop (a, b, d), the p99 latency
 * where it is paced (a-lat), the per-chunk relay delay p99 for streams.
 */
function ratioLines(s, agg) {
  const A = agg[s] || {};
  const out = [];
  const med = (a, k) => (a.m[k] ? a.m[k].median : null);
  for (const l of LLMUX) {
    if (!A[l] || A[l].rounds_ok === 0)
      continue;
    const parts = [];
    for (const ref of ['nginx', 'portkey']) {
      const R = A[ref];
      if (!R || R.rounds_ok === 0)
        continue;
      const L = A[l];
      const cpu = ratio(L.m.cpu_per_1000, R.m.cpu_per_1000);
      const cpuText = 'CPU per ' + (s === 'c' ? 'stream ' : 'request ') +
          (cpu === null ? 'n/a' : num(cpu, 2) + '× ' + ref + '\'s');
      let head;
      if (s === 'a-lat')
        head = 'p99 latency ' + ratioText(ratio(L.m.p99, R.m.p99)) + ' (' +
            num(med(L, 'p99')) + ' vs ' + num(med(R, 'p99')) + ' ms)';
      else if (s === 'c')
        head = 'relay delay p99 ' +
            ratioText(ratio(L.m.relay_p99, R.m.relay_p99)) + ' (' +
            num(med(L, 'relay_p99'), 0) + ' vs ' +
            num(med(R, 'relay_p99'), 0) + ' µs), TTFB p50 ' +
            num(med(L, 'ttfb_p50')) + ' vs ' + num(med(R, 'ttfb_p50')) +
            ' ms';
      else
        head = 'throughput ' + ratioText(ratio(L.m.rps, R.m.rps)) +
            ', p99 ' + num(med(L, 'p99')) + ' vs ' + num(med(R, 'p99')) +
            ' ms';
      parts.push(l + '/' + ref + ': ' + head + ', ' + cpuText);
    }
    if (parts.length)
      out.push('- ' + parts.join('; '));
  }
  return out.join('\n');
}

/*
 * What the router costs: llmux-router's req/s over llmux-min's in (a),
 * each the median of its rounds.  Issue #8 asks for at least 0.90.
 */
function routerRatio(agg) {
  const A = agg.a || {};
  const r = A['llmux-router'], m = A['llmux-min'];
  if (!r || !m || r.rounds_ok === 0 || m.rounds_ok === 0)
    return null;
  return ratio(r.m.rps, m.m.rps);
}

function routerLine(agg) {
  const x = routerRatio(agg);
  if (x === null)
    return null;
  return '- llmux-router/llmux-min req/s in (a): ' + ratioText(x) + ' (' +
      (x < 1 ? 'the router costs ' + num((1 - x) * 100, 1) + '% of ' +
      'llmux-min\'s throughput' : 'no measurable cost: llmux-router ' +
      'was the faster here, which says how noisy the runs were') +
      '; at most 10% is the goal)';
}

function goals(agg) {
  const rows = ['| goal (issue #4) | target | measured | met |',
    '|---|---|---|---|'];
  const get = (s, t) => (agg[s] || {})[t];
  for (const l of LLMUX) {
    const a = get('a', l);
    if (!a || a.rounds_ok === 0) {
      rows.push('| all goals | `' + l + '` | ' + (a ? statusText(a) :
          'not run') + ' | — |');
      continue;
    }
    const yes = (b) => (b === null ? 'n/a' : b ? 'yes' : '**no**');
    const rn = ratio(a.m.rps, (get('a', 'nginx') || { m: {} }).m.rps);
    rows.push('| ≥ 0.8× nginx req/s in (a) | `' + l + '` | ' +
        (rn === null ? 'n/a' : num(rn, 2) + '×') + ' | ' +
        yes(rn === null ? null : rn >= 0.8) + ' |');
    const rp = ratio(a.m.rps, (get('a', 'portkey') || { m: {} }).m.rps);
    rows.push('| ≥ 20× Portkey req/s in (a) | `' + l + '` | ' +
        (rp === null ? 'n/a' : num(rp, 1) + '×') + ' | ' +
        yes(rp === null ? null : rp >= 20) + ' |');
    const al = get('a-lat', l);
    const ad = al && al.added.p99;
    rows.push('| p99 added latency < 1 ms at 50 connections (paced) | `' + l +
        '` | ' + (ad ? plus(ad, 3) + ' ms' : 'n/a') + ' | ' +
        yes(ad ? ad.median < 1 : null) + ' |');
    const c = get('c', l);
    const cr = c && c.m.stamped && c.m.stamped.median > 0 ? c.added.relay_p99 :
        null;
    rows.push('| per-chunk relay delay p99 < 100 µs (added over direct) | `' +
        l + '` | ' + (cr ? plus(cr, 0) + ' µs (total ' +
        num(c.m.relay_p99.median, 0) + ' µs)' : 'n/a') + ' | ' +
        yes(cr ? cr.median < 100 : null) + ' |');
    const b = get('b', l);
    const be = b && b.rounds_ok ? b.errors.status + b.errors.socket : null;
    rows.push('| (b) holds 1,000 connections with zero errors | `' + l +
        '` | ' + (be === null ? 'n/a' : be + ' errors') + ' | ' +
        yes(be === null ? null : be === 0 && b.rounds_ok === b.rounds) + ' |');
    const rest = a.m.rest_proc_mb;
    rows.push('| RSS < 20 MB per worker at rest | `' + l + '` | ' +
        (rest ? num(rest.median, 1) + ' MB' : 'n/a') + ' | ' +
        yes(rest ? rest.median < 20 : null) + ' |');
    const bp = b && b.m.rss_proc_mb;
    rows.push('| RSS < 64 MB per worker under (b) | `' + l + '` | ' +
        (bp ? num(bp.median, 1) + ' MB' : 'n/a') + ' | ' +
        yes(bp ? bp.median < 64 : null) + ' |');
    if (l === 'llmux-router') {
      const rr = routerRatio(agg);
      rows.push('| ≥ 0.90× llmux-min req/s in (a) (issue #8) | `' + l +
          '` | ' + (rr === null ? 'n/a' : num(rr, 2) + '×') + ' | ' +
          yes(rr === null ? null : rr >= 0.9) + ' |');
    }
  }
  return rows.join('\n');
}

function microbench(dir) {
  const f = path.join(dir, 'microbench.txt');
  if (!fs.existsSync(f))
    return 'Not available: this build has no `llmux-microbench`.';
  const rc = fs.existsSync(f + '.rc') ?
    fs.readFileSync(f + '.rc', 'utf8').trim() : '0';
  const txt = fs.readFileSync(f, 'utf8').trim();
  const re = /^(.+?)\s{2,}([0-9][0-9.,]*)\s+(\S+)\s+\((\d+) iterations\)$/;
  const lines = txt.split('\n');
  if (rc === '0' && lines.length > 0 && lines.every((l) => re.test(l))) {
    const rows = ['`llmux-microbench`, pinned to the target core:', '',
      '| piece | time | iterations |', '|---|---:|---:|'];
    for (const l of lines) {
      const m = l.match(re);
      rows.push('| ' + m[1].trim() + ' | ' + m[2] + ' ' + m[3] + ' | ' +
          Number(m[4]).toLocaleString('en-US') + ' |');
    }
    return rows.join('\n');
  }
  return (rc !== '0' ? '`llmux-microbench` exited with status ' + rc +
      '; its output:\n\n' : '`llmux-microbench` (pinned to the target ' +
      'core), as printed:\n\n') + '```\n' + txt + '\n```';
}

/* Bar colours: the references in greys and orange, llmux in blue. */
const COLOR = { 'direct': 0x999999, 'nginx': 0x555555, 'portkey': 0xdd8833,
  'llmux-min': 0x3366cc, 'llmux-router': 0x5588dd, 'llmux-full': 0x1f3f99 };

/* gnuplot: four panels of bars with min-max whiskers. */
function plot(agg, outbase, tmpdir) {
  const panels = [
    { s: 'a', k: 'rps', title: '(a) requests/s, 50 connections', log: false,
      fmt: '%.0f' },
    { s: 'a-lat', k: 'p99', title: '(a, paced) p99 latency, ms', log: true,
      fmt: '%.2f' },
    { s: 'b', k: 'p99', title: '(b) p99 latency, ms, 1,000 conn, mock 100 ms',
      log: true, fmt: '%.1f' },
    { s: 'c', k: 'relay_p99', title: '(c) per-chunk relay delay p99, µs',
      log: true, fmt: '%.0f' },
  ];
  const gp = ['set terminal pngcairo size 1400,900 font "DejaVu Sans,10"',
    'set output "' + outbase + '.png"',
    'set multiplot layout 2,2 title "llmux bench: median of rounds, ' +
        'whiskers min-max"',
    'set style fill solid 0.6 border -1', 'set boxwidth 0.6',
    'set grid ytics', 'set xtics nomirror', 'unset key', 'set offsets 0.5,0.5,0,0'];
  let n = 0;
  for (const p of panels) {
    const A = agg[p.s] || {};
    const lines = [];
    for (const t of TARGETS) {
      const a = A[t];
      if (!a || !a.m[p.k])
        continue;
      const st = a.m[p.k];
      if (p.log && st.min <= 0)
        continue;
      lines.push('"' + t + '" ' + st.median + ' ' + st.min + ' ' + st.max +
          ' ' + COLOR[t]);
    }
    const dat = path.join(tmpdir, 'plot-' + p.s + '.dat');
    fs.writeFileSync(dat, lines.join('\n') + '\n');
    gp.push('set title "' + p.title + '"');
    gp.push(p.log ? 'set logscale y' : 'unset logscale y');
    gp.push(p.log ? 'set yrange [*:*]' : 'set yrange [0:*]');
    if (lines.length === 0) {
      gp.push('set label 1 "no data" at graph 0.5, graph 0.5 center');
      gp.push('unset logscale y');
      gp.push('plot [0:1] [0:1] 2 notitle');
      gp.push('unset label 1');
      continue;
    }
    n++;
    gp.push('plot "' + dat + '" using 0:2:5:xtic(1) with boxes lc rgb ' +
        'variable, "" using 0:2:3:4 with yerrorbars lc rgb "black" pt -1, ' +
        '"" using 0:4:(sprintf("' + p.fmt + '", $2)) with labels ' +
        'offset 0,0.8');
  }
  gp.push('unset multiplot');
  const gpf = path.join(tmpdir, 'plot.gp');
  fs.writeFileSync(gpf, gp.join('\n') + '\n');
  const r = cp.spawnSync('gnuplot', [gpf], { encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error('gnuplot failed: ' + (r.stderr || r.error));
  return n;
}

function report(dir, outbase) {
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'),
      'utf8'));
  const runs = readRuns(dir);
  const agg = aggregate(runs);
  const mach = machine(meta);
  const name = path.basename(outbase);
  const md = [];
  md.push('# llmux bench: ' + meta.date + ', ' + meta.host);
  md.push('');
  md.push('Made by `' + meta.command + '` (' + meta.rounds + ' interleaved ' +
      'rounds of ' + meta.duration + ' s per target and scenario). ' +
      'Every figure is the median of the rounds, min–max in small type; ' +
      '"added" is the target minus `direct` in the same round, then the ' +
      'median. Errors are the sum over all rounds.');
  md.push('');
  md.push('![requests/s and p99 per target](' + name + '.png)');
  md.push('');
  md.push('## Machine');
  md.push('');
  md.push('- CPU: ' + mach.cpu + ', ' + mach.cores + ' cores (' +
      mach.virtualization + ' virtualization), ' + mach.memory_gb +
      ' GB memory');
  md.push('- OS: ' + mach.os + ', kernel ' + mach.kernel);
  md.push('- Cores: target ' + meta.layout.target + ' (' + meta.layout.workers +
      ' worker' + (meta.layout.workers > 1 ? 's' : '') + ' for nginx and ' +
      'llmux; Portkey is one process), mock ' + meta.layout.mock + ', load ' +
      'generator ' + meta.layout.client + ': ' + meta.layout.note + '.');
  const others = runs.filter((r) => r.status === 'ok')
      .map((r) => figures(r).others_pct).filter((x) => typeof x === 'number');
  if (others.length)
    md.push('- Other load: processes outside the bench took a median ' +
        num(median(others), 1) + '% of the machine\'s CPU during the ' +
        'measured runs (max ' + num(Math.max(...others), 1) + '%)' +
        (Math.max(...others) > 5 ? '; the figures of the runs with ' +
        'most are the noisiest' : '') + '.');
  md.push('- Versions: ' + Object.entries(mach.versions)
      .map(([k, v]) => k + ' ' + v.replace(new RegExp('^' + k + ' ', 'i'), ''))
      .join('; '));
  md.push('');
  md.push('## Headline: scenario (a), and the ratios');
  md.push('');
  md.push('| target | req/s (a) | p99 ms (a, paced) | added p99 ms | ' +
      'CPU s / 1,000 req | peak RSS MB (a) | relay p99 µs (c) |');
  md.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const t of TARGETS) {
    const a = (agg.a || {})[t], l = (agg['a-lat'] || {})[t],
      c = (agg.c || {})[t];
    if (!a)
      continue;
    if (a.rounds_ok === 0) {
      md.push('| ' + TNAME(t) + ' | ' + a.status + ' | | | | | |');
      continue;
    }
    md.push('| ' + TNAME(t) + ' | ' + num(a.m.rps && a.m.rps.median, 0) +
        ' | ' + num(l && l.m.p99 && l.m.p99.median, 3) + ' | ' +
        (t === 'direct' || !l ? '—' : plus(l.added.p99, 3)) + ' | ' +
        num(a.m.cpu_per_1000 && a.m.cpu_per_1000.median, 3) + ' | ' +
        num(a.m.rss_sum_mb && a.m.rss_sum_mb.median, 1) + ' | ' +
        (c && c.m.relay_p99 && c.m.stamped && c.m.stamped.median > 0 ?
        num(c.m.relay_p99.median, 0) : 'n/a') + ' |');
  }
  md.push('');
  const rl = ratioLines('a', agg);
  const rt = routerLine(agg);
  if (rl)
    md.push(rl);
  if (rt)
    md.push(rt);
  if (!rl && !rt)
    md.push('- no llmux target ran beside a reference: no ratios.');
  md.push('');
  md.push('## Goals');
  md.push('');
  md.push(goals(agg));
  md.push('');
  for (const s of Object.keys(SCEN)) {
    if (!agg[s])
      continue;
    md.push('## ' + SCEN[s].title);
    md.push('');
    md.push(describe(s, meta.settings) + '.');
    md.push('');
    md.push(scenarioTable(s, agg, meta));
    md.push('');
    const r = ratioLines(s, agg);
    if (r) {
      md.push(r);
      md.push('');
    }
    const rt = s === 'a' ? routerLine(agg) : null;
    if (rt) {
      md.push(rt);
      md.push('');
    }
    const oth = [];
    for (const t of TARGETS)
      if (agg[s][t] && agg[s][t].m.others_pct)
        oth.push(...agg[s][t].m.others_pct.values);
    if (oth.length) {
      md.push('Other processes took ' + num(median(oth), 1) + '% of the ' +
          'machine\'s CPU during these runs (median; max ' +
          num(Math.max(...oth), 1) + '%).');
      md.push('');
    }
    const errs = [];
    for (const t of TARGETS) {
      const a = agg[s][t];
      if (a && a.error_samples.length)
        errs.push('- `' + t + '` errors: ' + a.error_samples.join('; ')
            .replace(/\|/g, '/'));
      if (a && a.status === 'partial')
        errs.push('- `' + t + '` failed rounds: ' + a.reasons.join('; '));
    }
    if (errs.length) {
      md.push(errs.join('\n'));
      md.push('');
    }
  }
  md.push('## Processes');
  md.push('');
  md.push('Each process of the target in the last round of scenario (b): ' +
      'RSS right after start, peak RSS and CPU during the run (for ' +
      '`direct`, the mock itself):');
  md.push('');
  md.push('| target | process | RSS at rest MB | peak RSS MB | CPU s |');
  md.push('|---|---|---:|---:|---:|');
  for (const t of TARGETS) {
    const a = (agg.b || {})[t];
    if (!a || !a.procs)
      continue;
    for (const p of a.procs)
      md.push('| ' + TNAME(t) + ' | ' + p.comm + ' | ' + num(p.rest_rss_mb, 1) +
          ' | ' + num(p.peak_rss_mb, 1) + ' | ' + num(p.cpu_s, 2) + ' |');
  }
  md.push('');
  md.push('## Microbenchmarks');
  md.push('');
  md.push(microbench(dir));
  md.push('');
  md.push('## Published figures of other gateways (quoted, not measured here)');
  md.push('');
  md.push('Bifrost, TensorZero, Helicone\'s gateway and LiteLLM cannot be ' +
      'installed on this kind of machine (no PyPI, binaries downloaded at ' +
      'first run). As their authors or users published them:');
  md.push('');
  md.push('- LiteLLM docs: 4 instances of 4 vCPU, 1,170 req/s, median 100 ms, ' +
      'p99 240 ms; LiteLLM overhead median 2 ms, p99 13 ms. PR #38840: ' +
      '`x-litellm-overhead-duration-ms` about 0.6–5.6 ms per request.');
  md.push('- TensorZero benchmark page (4 vCPU, mock provider): LiteLLM p99 ' +
      '5.87 ms at 100 QPS, 39.69 ms at 500 QPS, failing at 1,000 QPS; ' +
      'TensorZero p99 0.94 ms at 10,000 QPS.');
  md.push('- Bifrost README: 11 µs added overhead on t3.xlarge at 5,000 RPS; ' +
      '59 µs on t3.medium.');
  md.push('- Portkey README: "<1ms latency".');
  md.push('');
  md.push('## Method');
  md.push('');
  md.push(method(meta).map((l) => '- ' + l).join('\n'));
  md.push('');
  const root = path.dirname(path.dirname(meta.work));
  const clean = (txt) => txt.split(root + '/').join('').split(root).join('.');
  fs.writeFileSync(outbase + '.md', clean(md.join('\n')));
  fs.writeFileSync(outbase + '.json', clean(JSON.stringify({
    date: meta.date, host: meta.host, command: meta.command,
    settings: meta.settings, layout: meta.layout,
    scenarios: Object.fromEntries(Object.keys(SCEN).map((s) =>
      [s, describe(s, meta.settings)])),
    machine: mach, results: agg,
    ratios: Object.fromEntries(Object.keys(SCEN).map((s) => [s,
      Object.fromEntries(LLMUX.flatMap((l) => ['nginx', 'portkey'].map(
          (ref) => [l + '/' + ref, ratio(((agg[s] || {})[l] || { m: {} }).m.rps,
              ((agg[s] || {})[ref] || { m: {} }).m.rps)])).concat([[
          'llmux-router/llmux-min', ratio(((agg[s] || {})['llmux-router'] ||
              { m: {} }).m.rps, ((agg[s] || {})['llmux-min'] ||
              { m: {} }).m.rps)]]))])),
    runs: runs,
  }, null, 1)) + '\n');
  plot(agg, outbase, dir);
  return agg;
}

/* The smoke's verdict: every target that ran answered every scenario. */
function check(dir) {
  const runs = readRuns(dir);
  let pass = 0, fail = 0, skip = 0;
  for (const r of runs) {
    const f = r.status === 'ok' ? figures(r) : {};
    let why = null;
    if (r.status === 'skipped') {
      skip++;
      console.log('skip  ' + r.target + ' ' + r.scenario + ': ' + r.reason);
      continue;
    }
    if (r.status !== 'ok')
      why = r.reason;
    else if (!(f.requests > 0))
      why = 'no request completed';
    else if (f.err_status || f.err_socket)
      why = (f.err_status || 0) + ' bad or non-2xx answers, ' +
          (f.err_socket || 0) + ' socket errors ' +
          JSON.stringify(f.err_detail) +
          (f.bad_sample ? ' first: ' + f.bad_sample : '') +
          (f.first_error ? ' first: ' + f.first_error : '');
    else if (r.scenario === 'c' && !(f.stamped > 0))
      why = 'no chunk carried mock_ts_ns: relay delay cannot be measured';
    if (why) {
      fail++;
      console.log('FAIL  ' + r.target + ' ' + r.scenario + ': ' + why);
    } else {
      pass++;
      console.log('ok    ' + r.target + ' ' + r.scenario + ': ' +
          f.requests + (r.scenario === 'c' ? ' streams' : ' requests'));
    }
  }
  console.log('bench-smoke: ' + pass + ' passed, ' + fail + ' failed, ' +
      skip + ' skipped');
  return fail === 0 && pass > 0;
}

function main() {
  const [cmd, dir, out] = process.argv.slice(2);
  if (cmd === 'report' && dir && out) {
    report(dir, out);
    return 0;
  }
  if (cmd === 'check' && dir)
    return check(dir) ? 0 : 1;
  console.error('usage: node report.js report RUNDIR OUTBASE | check RUNDIR');
  return 2;
}

process.exitCode = main();
