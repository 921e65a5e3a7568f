#!/usr/bin/env node
// PouchDB replication baseline for Gridwork's sync benchmark.
//
// Starts a real pouchdb-server (LevelDB on disk, 127.0.0.1, its own process),
// then measures with a PouchDB client (LevelDB on disk) on loopback:
//   pull: the server holds N household documents; a fresh client replicates
//         them all (`local.replicate.from(remote)`).
//   push: a fresh client holds N new visit documents; it replicates them to
//         an empty server database (`local.replicate.to(remote)`).
// Prints one JSON object on stdout; progress on stderr. See README.md.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, readdirSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { Agent } from 'node:http';

import { generate, loadRecords, toDocs } from './records.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

const USAGE = `usage: node run.mjs [options]
  --n N               documents per scenario (default 10000; with --records, all of them)
  --records FILE      pull these records instead of generated households
                      (JSON array, {"records"|"changes"|"ops"|"docs": [...]}, or NDJSON)
  --push-records FILE push these records instead of generated visit operations
  --port P            server port (default: a free one)
  --seed S            generator seed (default 42)
  --batch-size B      PouchDB replication batch_size (default 100, PouchDB's own)
  --batches-limit L   PouchDB replication batches_limit (default 10, PouchDB's own)
  --timeout SECONDS   limit for each replication, and for seeding (default 600)
  --only pull|push    run one scenario
  --no-keep-alive     let PouchDB's node-fetch send \`Connection: close\` (a new TCP
                      connection per request, its default in Node); by default
                      the client reuses connections, as a browser or WebView does
  --keep              keep the temp dir (server log, databases) for a post-mortem`;

function parseArgs(argv) {
  const o = { n: null, records: null, pushRecords: null, port: 0, seed: 42, batchSize: 100, batchesLimit: 10, timeout: 600, only: null, keep: false, keepAlive: true };
  const num = (name, v) => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < 0) throw new Error(`${name} wants a whole number, got ${v}`);
    return x;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const val = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) throw new Error(`${flag} wants a value`);
      return argv[++i];
    };
    switch (flag) {
      case '--n': o.n = num(flag, val()); break;
      case '--records': o.records = val(); break;
      case '--push-records': o.pushRecords = val(); break;
      case '--port': o.port = num(flag, val()); break;
      case '--seed': o.seed = num(flag, val()); break;
      case '--batch-size': o.batchSize = num(flag, val()); break;
      case '--batches-limit': o.batchesLimit = num(flag, val()); break;
      case '--timeout': o.timeout = num(flag, val()); break;
      case '--only': o.only = val(); if (!['pull', 'push'].includes(o.only)) throw new Error('--only pull|push'); break;
      case '--keep': o.keep = true; break;
      case '--no-keep-alive': o.keepAlive = false; break;
      case '-h': case '--help': console.error(USAGE); process.exit(0); break;
      default: throw new Error(`unknown option ${a}\n${USAGE}`);
    }
  }
  if (o.n === 0 || o.batchSize === 0 || o.batchesLimit === 0 || o.timeout === 0) throw new Error('--n, --batch-size, --batches-limit and --timeout must be > 0');
  return o;
}

const log = (...a) => console.error('[pouchdb-bench]', ...a);
const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const versionOf = (pkg, from = here) => {
  try {
    return JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`, { paths: [from] }), 'utf8')).version;
  } catch {
    return null;
  }
};

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const TMP_PREFIX = 'gridwork-pouchdb-';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- state that cleanup needs ---------------------------------------------
const state = { tmp: null, keep: false, server: null, serverExited: null, dbs: [], cleaned: false };

async function cleanup() {
  if (state.cleaned) return;
  state.cleaned = true;
  for (const db of state.dbs) {
    try { await Promise.race([db.close(), sleep(5000)]); } catch { /* closing is best effort */ }
  }
  if (state.server && state.server.exitCode === null && state.server.signalCode === null) {
    state.server.kill('SIGTERM');
    const done = await Promise.race([state.serverExited.then(() => true), sleep(5000).then(() => false)]);
    if (!done) {
      log(`server pid ${state.server.pid} ignored SIGTERM; sending SIGKILL`);
      state.server.kill('SIGKILL');
      await Promise.race([state.serverExited, sleep(5000)]);
    }
  }
  if (state.tmp) {
    if (state.keep) log(`kept ${state.tmp}`);
    else rmSync(state.tmp, { recursive: true, force: true });
  }
}

let exiting = false;
async function die(code, why) {
  if (exiting) return;
  exiting = true;
  if (why) log(why);
  try { await cleanup(); } finally { process.exit(code); }
}
process.on('SIGINT', () => die(130, 'interrupted'));
process.on('SIGTERM', () => die(143, 'terminated'));
process.on('SIGHUP', () => die(129, 'hang-up'));
process.on('uncaughtException', (e) => die(1, `uncaught: ${e && e.stack || e}`));
process.on('unhandledRejection', (e) => die(1, `unhandled rejection: ${e && e.stack || e}`));

// A run killed with SIGKILL cannot clean up after itself (its server exits on
// its own: see server-counter.cjs). The next run removes such leftovers: temp
// dirs of this harness whose owner pid is gone.
function sweepStale() {
  const root = tmpdir();
  let names;
  try { names = readdirSync(root); } catch { return; }
  for (const name of names) {
    if (!name.startsWith(TMP_PREFIX)) continue;
    const dir = join(root, name);
    let pid;
    try { pid = Number(readFileSync(join(dir, 'owner.pid'), 'utf8')); } catch { continue; }
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      process.kill(pid, 0);
      continue; // still running
    } catch (e) {
      if (e.code !== 'ESRCH') continue;
    }
    rmSync(dir, { recursive: true, force: true });
    log(`removed ${dir}, left by a run (pid ${pid}) that was killed`);
  }
}

// ---- server ---------------------------------------------------------------
async function startServer(port, timeoutMs) {
  const dir = join(state.tmp, 'server');
  mkdirSync(dir);
  const logPath = join(state.tmp, 'server-stdio.log');
  const out = openSync(logPath, 'a');
  const bin = require.resolve('pouchdb-server/lib/index.js', { paths: [here] });
  const child = spawn(process.execPath, [
    '--require', join(here, 'server-counter.cjs'),
    bin,
    '--host', '127.0.0.1',
    '--port', String(port),
    '--dir', dir,
    '--config', join(dir, 'config.json'),
  ], { cwd: dir, stdio: ['ignore', out, out, 'ipc'] });
  closeSync(out);
  state.server = child;
  state.serverExited = new Promise((r) => child.once('exit', r));
  const tail = () => {
    try { return readFileSync(logPath, 'utf8').split('\n').slice(-20).join('\n'); } catch { return ''; }
  };
  const listening = new Promise((resolve, reject) => {
    child.on('message', (m) => {
      if (m && m.listening) resolve(m.listening);
      if (m && m.error) reject(new Error(`pouchdb-server could not listen on 127.0.0.1:${port}: ${m.error}`));
    });
    child.once('exit', (code, sig) => reject(new Error(`pouchdb-server exited early (${code ?? sig}):\n${tail()}`)));
    setTimeout(() => reject(new Error(`pouchdb-server not listening after ${timeoutMs / 1000}s:\n${tail()}`)), timeoutMs).unref();
  });
  const actual = await listening;
  const base = `http://127.0.0.1:${actual}`;
  // Listening is not ready: wait for the CouchDB welcome.
  const t0 = Date.now();
  for (;;) {
    try {
      const r = await fetch(`${base}/`, { signal: AbortSignal.timeout(5000) });
      if (r.ok) {
        const welcome = await r.json();
        return { base, welcome, pid: child.pid };
      }
    } catch { /* not yet */ }
    if (Date.now() - t0 > timeoutMs) throw new Error(`pouchdb-server did not answer GET / within ${timeoutMs / 1000}s:\n${tail()}`);
    await sleep(100);
  }
}

// Harness-side calls (setup, verification, counters) use Node's built-in
// fetch on their own connections; `Connection: close` keeps them off any
// socket the counters attribute to replication.
async function call(base, method, path, body, timeoutMs = 60000) {
  const r = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json', connection: 'close' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

// ---- replication ------------------------------------------------------------
function replicateBounded(rep, what, n, timeoutMs) {
  let last = 0;
  rep.on('change', (info) => {
    const done = info.docs_written;
    if (done - last >= Math.max(1000, n / 10) || done === n) {
      last = done;
      log(`  ${what}: ${done}/${n} docs written`);
    }
  });
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      rep.cancel();
      reject(new Error(`${what} did not finish within ${timeoutMs / 1000}s`));
    }, timeoutMs);
  });
  return Promise.race([rep, timeout]).finally(() => clearTimeout(timer));
}

function figures(seconds, server, clientRequests, payloadBytes, extra = {}) {
  return Object.assign({
    seconds: round(seconds),
    requests: server.requests,
    bytes_up: server.req_body_bytes,
    bytes_down: server.res_body_bytes,
    wire_bytes_up: server.wire_bytes_in,
    wire_bytes_down: server.wire_bytes_out,
    client_requests: clientRequests,
    connections: server.new_connections,
    max_in_flight: server.max_in_flight,
    gzip_responses: server.gzip_responses,
    plain_responses: server.identity_responses + server.deflate_responses,
    compressed_requests: server.compressed_requests,
    payload_bytes: payloadBytes,
  }, extra, { requests_by_kind: server.by_kind });
}

// Deep equality of two documents, ignoring _rev and key order.
function canonical(v) {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v).sort()) if (k !== '_rev' && k !== '_revisions') o[k] = canonical(v[k]);
    return o;
  }
  return v;
}
function sameJson(a, b) {
  const x = JSON.stringify(canonical(a));
  const y = JSON.stringify(canonical(b));
  if (x !== y) log(`  differs:\n    got  ${x.slice(0, 400)}\n    want ${y.slice(0, 400)}`);
  return x === y;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  state.keep = opts.keep;
  const timeoutMs = opts.timeout * 1000;
  const watchdog = setTimeout(() => die(124, `watchdog: the whole run exceeded ${3 * opts.timeout + 120}s`), (3 * opts.timeout + 120) * 1000);
  watchdog.unref();

  // Records first: a bad file should fail before anything starts.
  const payload = (docs) => docs.reduce((s, d) => s + Buffer.byteLength(JSON.stringify(d)), 0);
  let pullSource = `generated households (records.mjs, seed ${opts.seed})`;
  let pullRecords;
  if (opts.records) {
    pullRecords = loadRecords(opts.records);
    if (opts.n !== null) pullRecords = pullRecords.slice(0, opts.n);
    pullSource = opts.records;
  } else {
    pullRecords = generate('pull', opts.n ?? 10000, opts.seed);
  }
  let pushSource = `generated visit operations (records.mjs, seed ${opts.seed})`;
  let pushRecords;
  if (opts.pushRecords) {
    pushRecords = loadRecords(opts.pushRecords);
    if (opts.n !== null) pushRecords = pushRecords.slice(0, opts.n);
    pushSource = opts.pushRecords;
  } else {
    pushRecords = generate('push', opts.n ?? pullRecords.length, opts.seed);
  }
  const pull = toDocs(pullRecords, 'rec');
  const push = toDocs(pushRecords, 'op');
  if (pull.renamed || push.renamed) log(`note: ${pull.renamed + push.renamed} duplicate record ids were made unique`);

  // The client library, on-disk LevelDB in the temp dir.
  const PouchDB = require('pouchdb');
  sweepStale();
  state.tmp = mkdtempSync(join(tmpdir(), TMP_PREFIX));
  writeFileSync(join(state.tmp, 'owner.pid'), String(process.pid));
  log(`temp dir ${state.tmp}`);

  const port = opts.port || await freePort();
  const t0 = performance.now();
  const server = await startServer(port, 30000);
  log(`pouchdb-server ${versionOf('pouchdb-server')} (pid ${server.pid}) at ${server.base} in ${round((performance.now() - t0) / 1000, 2)}s; welcome ${JSON.stringify(server.welcome)}`);

  // Every request PouchDB makes goes through this (its documented `fetch`
  // option): a client-side count to cross-check the server's, and the agent.
  // Each scenario gets its own agent, so neither reuses the other's sockets.
  let clientRequests = 0;
  let agent = null;
  const freshAgent = () => {
    if (agent) agent.destroy();
    agent = opts.keepAlive ? new Agent({ keepAlive: true }) : null;
  };
  const countingFetch = (url, o = {}) => {
    clientRequests += 1;
    if (agent) o.agent = agent;
    return PouchDB.fetch(url, o);
  };
  const remote = (name) => {
    const db = new PouchDB(`${server.base}/${name}`, { fetch: countingFetch, skip_setup: true });
    state.dbs.push(db);
    return db;
  };
  const local = (name) => {
    const db = new PouchDB(join(state.tmp, name), { adapter: 'leveldb' });
    state.dbs.push(db);
    return db;
  };
  const repOpts = { batch_size: opts.batchSize, batches_limit: opts.batchesLimit };
  const result = {
    tool: 'pouchdb',
    version: versionOf('pouchdb'),
    n: null,
    server: {
      package: 'pouchdb-server',
      version: versionOf('pouchdb-server'),
      express_pouchdb: versionOf('express-pouchdb', dirname(require.resolve('pouchdb-server/package.json', { paths: [here] }))),
      pouchdb_core: versionOf('pouchdb-core', dirname(require.resolve('pouchdb-server/package.json', { paths: [here] }))),
      storage: 'leveldb on disk (pouchdb-adapter-leveldb, leveldown), own process',
    },
    client: { package: 'pouchdb', version: versionOf('pouchdb'), storage: 'leveldb on disk (leveldown)' },
    node: process.version,
    replication: { batch_size: opts.batchSize, batches_limit: opts.batchesLimit, live: false, keep_alive: opts.keepAlive },
    counting: 'server side (preload in pouchdb-server): response body bytes at res.write/res.end, after gzip; request body bytes at req.push; wire bytes from socket counters, headers and framing included',
  };

  if (opts.only !== 'push') {
    const n = pull.docs.length;
    log(`pull: ${n} documents from ${pullSource}, ${payload(pull.docs)} bytes of JSON`);
    await call(server.base, 'PUT', '/gridwork_pull');
    const ts = performance.now();
    for (let i = 0; i < n; i += 1000) {
      const res = await call(server.base, 'POST', '/gridwork_pull/_bulk_docs', { docs: pull.docs.slice(i, i + 1000) }, timeoutMs);
      const bad = res.filter((r) => r.error);
      if (bad.length) throw new Error(`seeding refused ${bad.length} docs, first: ${JSON.stringify(bad[0])}`);
    }
    const info = await call(server.base, 'GET', '/gridwork_pull');
    if (info.doc_count !== n) throw new Error(`server holds ${info.doc_count} docs, expected ${n}`);
    log(`  seeded the server in ${round((performance.now() - ts) / 1000, 2)}s (not measured)`);

    const target = local('client-pull');
    freshAgent();
    const source = remote('gridwork_pull');
    await call(server.base, 'POST', '/__bench/reset');
    clientRequests = 0;
    const t = performance.now();
    const rep = await replicateBounded(target.replicate.from(source, repOpts), 'pull', n, timeoutMs);
    const seconds = (performance.now() - t) / 1000;
    const stats = await call(server.base, 'GET', '/__bench/stats');
    const got = await target.info();
    if (rep.status !== 'complete' || got.doc_count !== n) throw new Error(`pull ended ${rep.status} with ${got.doc_count}/${n} docs (${JSON.stringify(rep.errors || [])})`);
    for (const k of [0, Math.floor(n / 2), n - 1]) {
      const d = await target.get(pull.docs[k]._id);
      if (!sameJson(d, pull.docs[k])) throw new Error(`pulled doc ${pull.docs[k]._id} differs from the record`);
    }
    result.pull = figures(seconds, stats, clientRequests, payload(pull.docs), { docs: n, docs_written: rep.docs_written, source: pullSource });
    log(`pull: ${round(seconds, 2)}s, ${stats.requests} requests, ${stats.req_body_bytes} B up, ${stats.res_body_bytes} B down (gzip on ${stats.gzip_responses} responses)`);
    result.n = n;
  }

  if (opts.only !== 'pull') {
    const n = push.docs.length;
    log(`push: ${n} documents from ${pushSource}, ${payload(push.docs)} bytes of JSON`);
    await call(server.base, 'PUT', '/gridwork_push');
    const source = local('client-push');
    const tw = performance.now();
    for (let i = 0; i < n; i += 500) {
      const res = await source.bulkDocs(push.docs.slice(i, i + 500));
      const bad = res.filter((r) => r.error);
      if (bad.length) throw new Error(`local writes refused ${bad.length} docs, first: ${JSON.stringify(bad[0])}`);
    }
    const localWrite = (performance.now() - tw) / 1000;
    log(`  wrote ${n} docs to the client's LevelDB in ${round(localWrite, 2)}s (500 per bulkDocs; not part of the push time)`);

    freshAgent();
    const target = remote('gridwork_push');
    await call(server.base, 'POST', '/__bench/reset');
    clientRequests = 0;
    const t = performance.now();
    const rep = await replicateBounded(source.replicate.to(target, repOpts), 'push', n, timeoutMs);
    const seconds = (performance.now() - t) / 1000;
    const stats = await call(server.base, 'GET', '/__bench/stats');
    const info = await call(server.base, 'GET', '/gridwork_push');
    if (rep.status !== 'complete' || info.doc_count !== n) throw new Error(`push ended ${rep.status} with ${info.doc_count}/${n} docs on the server (${JSON.stringify(rep.errors || [])})`);
    const k = n - 1;
    const d = await call(server.base, 'GET', `/gridwork_push/${encodeURIComponent(push.docs[k]._id)}`);
    if (!sameJson(d, push.docs[k])) throw new Error(`pushed doc ${push.docs[k]._id} differs on the server`);
    result.push = figures(seconds, stats, clientRequests, payload(push.docs), { docs: n, docs_written: rep.docs_written, local_write_seconds: round(localWrite), source: pushSource });
    log(`push: ${round(seconds, 2)}s, ${stats.requests} requests, ${stats.req_body_bytes} B up, ${stats.res_body_bytes} B down`);
    if (result.n === null) result.n = n;
  }

  clearTimeout(watchdog);
  if (agent) agent.destroy();
  await cleanup();
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().then(() => process.exit(0), (e) => die(1, `failed: ${e && e.stack || e}`));
