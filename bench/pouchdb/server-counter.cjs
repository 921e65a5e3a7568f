'use strict';
// Preloaded into the pouchdb-server process (`node --require`): counts what
// crosses the HTTP layer without touching pouchdb-server's own code.
//
// Per request (the middleware view):
//   req body bytes: as the HTTP parser hands them to req.push(), after chunked de-framing;
//                   Node never decompresses, so compressed bodies count as sent.
//   res body bytes: whatever is handed to the socket by res.write/res.end.
//                   These own properties are patched before express runs, so
//                   express's `compression` middleware (inside express-pouchdb)
//                   wraps *them*: gzip'd responses are counted compressed.
// Per connection (the wire view): socket.bytesRead / socket.bytesWritten,
//   i.e. request line, headers, chunk framing and bodies.
//
// Control endpoints, answered here and never passed to pouchdb-server, and
// never counted (their connections are excluded too; the harness sends them
// with `Connection: close`):
//   GET  /__bench/stats   the counters since the last reset, as JSON
//   POST /__bench/reset   zero the counters
//
// The process exits when the harness that spawned it goes away (IPC
// disconnect), so a killed harness never leaves a server behind.

const http = require('http');

function fresh() {
  return {
    requests: 0,
    req_body_bytes: 0,
    res_body_bytes: 0,
    gzip_responses: 0,
    deflate_responses: 0,
    identity_responses: 0,
    compressed_requests: 0,
    new_connections: 0,
    max_in_flight: 0,
    by_kind: {},
  };
}

let stats = fresh();
let inFlight = 0; // requests received and not yet answered, across resets
// Wire counters: bytes of closed connections since reset, plus open sockets
// measured against their reading at the last reset.
let closedRead = 0;
let closedWritten = 0;
const open = new Map(); // socket -> { read0, written0 }

function kindOf(method, url) {
  const path = url.split('?')[0];
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  let what;
  if (parts.length === 0) what = '/';
  else if (parts.length === 1) what = parts[0].startsWith('_') ? parts[0] : 'db';
  else if (parts[1] === '_local') what = '_local';
  else if (parts[1].startsWith('_')) what = parts[1];
  else what = 'doc';
  return `${method} ${what}`;
}

function count(req, res) {
  const kind = kindOf(req.method, req.url);
  const k = stats.by_kind[kind] || (stats.by_kind[kind] = { requests: 0, req_body_bytes: 0, res_body_bytes: 0 });
  const s = stats; // a reset mid-request must not move this request's bytes
  s.requests += 1;
  k.requests += 1;
  inFlight += 1;
  if (inFlight > s.max_in_flight) s.max_in_flight = inFlight;
  let done = false;
  const settle = () => {
    if (!done) {
      done = true;
      inFlight -= 1;
    }
  };
  res.on('close', settle);
  const enc = (req.headers['content-encoding'] || '').toLowerCase();
  if (enc && enc !== 'identity') s.compressed_requests += 1;
  // Not a 'data' listener: that would switch the stream to flowing mode
  // before body-parser reads it. Node's HTTP parser hands each body chunk to
  // req.push(), so count there.
  const push = req.push;
  req.push = function (chunk, encoding) {
    if (chunk != null) {
      const n = typeof chunk === 'string' ? Buffer.byteLength(chunk, encoding) : chunk.length;
      s.req_body_bytes += n;
      k.req_body_bytes += n;
    }
    return push.call(this, chunk, encoding);
  };
  const add = (chunk, encoding) => {
    if (chunk == null || typeof chunk === 'function') return;
    const n = typeof chunk === 'string' ? Buffer.byteLength(chunk, typeof encoding === 'string' ? encoding : 'utf8') : chunk.length;
    s.res_body_bytes += n;
    k.res_body_bytes += n;
  };
  const write = res.write;
  const end = res.end;
  res.write = function (chunk, encoding, cb) {
    add(chunk, encoding);
    return write.call(this, chunk, encoding, cb);
  };
  res.end = function (chunk, encoding, cb) {
    add(chunk, encoding);
    return end.call(this, chunk, encoding, cb);
  };
  res.on('finish', () => {
    settle();
    const ce = String(res.getHeader('content-encoding') || '').toLowerCase();
    if (ce === 'gzip') s.gzip_responses += 1;
    else if (ce === 'deflate') s.deflate_responses += 1;
    else s.identity_responses += 1;
  });
}

function wire() {
  let read = closedRead;
  let written = closedWritten;
  for (const [sock, base] of open) {
    if (sock.__benchControl) continue;
    read += sock.bytesRead - base.read0;
    written += sock.bytesWritten - base.written0;
  }
  return { wire_bytes_in: read, wire_bytes_out: written };
}

function control(req, res) {
  req.socket.__benchControl = true;
  req.resume();
  req.on('end', () => {
    let body;
    if (req.url.startsWith('/__bench/stats')) {
      body = Object.assign({}, stats, wire(), { open_connections: [...open.keys()].filter((s) => !s.__benchControl).length });
    } else if (req.url.startsWith('/__bench/reset') && req.method === 'POST') {
      stats = fresh();
      closedRead = 0;
      closedWritten = 0;
      for (const [sock, base] of open) {
        base.read0 = sock.bytesRead;
        base.written0 = sock.bytesWritten;
      }
      body = { ok: true };
    } else {
      res.writeHead(404, { 'content-type': 'application/json', connection: 'close' });
      res.end('{"error":"not_found"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify(body));
  });
}

const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, ...args) {
  if (event === 'connection') {
    const sock = args[0];
    const base = { read0: 0, written0: 0 };
    open.set(sock, base);
    stats.new_connections += 1;
    sock.on('close', () => {
      if (open.get(sock) === base) {
        open.delete(sock);
        if (!sock.__benchControl) {
          closedRead += sock.bytesRead - base.read0;
          closedWritten += sock.bytesWritten - base.written0;
        }
      }
    });
  } else if (event === 'request') {
    const [req, res] = args;
    if (req.url.startsWith('/__bench/')) {
      // A control connection is not a replication connection.
      if (!req.socket.__benchControlCounted) {
        req.socket.__benchControlCounted = true;
        stats.new_connections -= 1;
      }
      control(req, res);
      return true;
    }
    count(req, res);
  } else if (event === 'error') {
    // pouchdb-server logs EADDRINUSE and keeps running without a socket:
    // tell the harness at once instead of leaving it to time out.
    const e = args[0];
    if (process.send) process.send({ error: `${e && e.code || ''} ${e && e.message || e}`.trim() });
  } else if (event === 'listening') {
    const addr = this.address();
    if (process.send && addr && typeof addr === 'object') process.send({ listening: addr.port });
  }
  return emit.call(this, event, ...args);
};

if (process.send) {
  process.on('disconnect', () => process.exit(0));
}
