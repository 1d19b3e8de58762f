'use strict';
/*
 * Preloaded into the Portkey gateway with `node --require`: the gateway
 * takes a port but no address and would listen on every interface.  A
 * listen() that names no address (and no socket path or handle) gets
 * 127.0.0.1, so the benchmark's targets stay on loopback.
 */
const net = require('net');

const LOOPBACK = '127.0.0.1';
const listen = net.Server.prototype.listen;

function isPort(v) {
  return v === undefined || v === null || typeof v === 'number' ||
      (typeof v === 'string' && /^[0-9]+$/.test(v));
}

net.Server.prototype.listen = function (...args) {
  const a = args[0];

  if (a !== null && typeof a === 'object' && !Array.isArray(a)) {
    if (a.path === undefined && a.fd === undefined &&
        a.handle === undefined && a._handle === undefined && !a.host)
      args[0] = Object.assign({}, a, { host: LOOPBACK });
  } else if (isPort(a)) {
    if (args.length === 0)
      args.push(0, LOOPBACK);
    else if (args.length === 1)
      args.push(LOOPBACK);
    else if (args[1] === undefined || args[1] === null)
      args[1] = LOOPBACK;
    else if (typeof args[1] !== 'string')
      args.splice(1, 0, LOOPBACK);	/* listen(port, backlog|cb) */
  }
  return listen.apply(this, args);
};

/*
 * Portkey 1.15.2 answers 500 to every streamed request under Node 20
 * ("TypeError: immutable" in its response header update): it wraps the
 * upstream fetch() response in @hono/node-server's Response, which keeps
 * the upstream's Headers object, and fetch() responses have immutable
 * headers.  Give fetch() responses a mutable copy of their headers (the
 * body stream is passed on as is).  Cost: one Headers copy per request.
 * PORTKEY_FETCH_SHIM=0 turns this off, to check a newer Portkey without it.
 */
if (process.env.PORTKEY_FETCH_SHIM !== '0' &&
    typeof globalThis.fetch === 'function') {
  const fetch0 = globalThis.fetch;
  const Response0 = globalThis.Response;

  globalThis.fetch = async function (...args) {
    const r = await fetch0.apply(this, args);
    return new Response0(r.body, { status: r.status,
      statusText: r.statusText, headers: new Headers(r.headers) });
  };
}
