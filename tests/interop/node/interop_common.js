'use strict';
// Shared pieces of the Node.js `ws` interop drivers (the counterpart of python/interop_common.py).
//
// - Peer: runs tests/interop/ws_peer (the ws-cpp side) as a child process, parses its event log
//   (stdout, one "<tag> <event> key=value ..." line per event), lets a scenario wait for events
//   with a timeout, and always stops the process (by its PID) at the end.
// - Conn: the events of one connection of a Peer, read in order, one cursor per event name.
// - Channel: one `ws` WebSocket (client or server side) as awaitable queues of messages, pings
//   and pongs, and its close.
// - Runner: runs named scenarios, each bounded in time, prints one line per check and a summary,
//   and gives the exit status (0: all passed, 1: a failure, 77: skipped).

const { spawn } = require('child_process');
const net = require('net');
const path = require('path');
const readline = require('readline');
const util = require('util');

const SKIP = 77;

// Every wait in the drivers is bounded by one of these (milliseconds).
const EVENT_TIMEOUT = 10000;
const SCENARIO_TIMEOUT = 30000;
const GROUP_TIMEOUT = 100000; // CTest's TIMEOUT is 120 s: leave time to clean up
const EXIT_TIMEOUT = 10000;

const MIB = 1 << 20;

class CheckFailed extends Error {}

// --- the ws package, by its path in tests/peers -------------------------------------------------

const WS_DIR = path.join(__dirname, '..', '..', 'peers', 'node_modules', 'ws');

function loadWs() {
  let ws;
  let version;
  try {
    ws = require(WS_DIR);
    version = require(path.join(WS_DIR, 'package.json')).version;
  } catch (err) {
    console.log(`SKIP: the npm package ws is not installed at ${WS_DIR} ` +
                `(scripts/install-deps.sh runs npm ci in tests/peers): ${err.message}`);
    process.exit(SKIP);
  }
  if (version !== '8.23.0') console.log(`note: these drivers were written for ws 8.23.0; found ${version}`);
  return { WebSocket: ws, WebSocketServer: ws.WebSocketServer, version };
}

// --- bytes ---------------------------------------------------------------------------------------

function toBuf(data) {
  return Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8');
}

function hexs(data) {
  return toBuf(data).toString('hex');
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

function crcHex(data) {
  const buf = toBuf(data);
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return ((c ^ 0xffffffff) >>> 0).toString(16).padStart(8, '0');
}

function short(value, limit = 120) {
  if ((Buffer.isBuffer(value) || typeof value === 'string') && value.length > limit) {
    const kind = Buffer.isBuffer(value) ? 'Buffer' : 'string';
    const head = Buffer.isBuffer(value) ? value.subarray(0, 20).toString('hex') : JSON.stringify(value.slice(0, 40));
    return `<${kind} len=${value.length} crc=${crcHex(value)} head=${head}>`;
  }
  if (Buffer.isBuffer(value)) return `<Buffer ${value.toString('hex')}>`;
  const text = util.inspect(value, { depth: 4, breakLength: Infinity, maxStringLength: limit });
  return text.length > 4 * limit ? text.slice(0, 4 * limit) + '...' : text;
}

// --- generated payloads, built the same way ws_peer builds them ---------------------------------

const TEXT_PATTERN = 'ws-cpp \u2713 d\u00e9j\u00e0 vu \u{1f389} 0123456789\n';

// n bytes of UTF-8: whole code points of TEXT_PATTERN, cycled, then 'x' padding (a string).
function genText(n) {
  const unit = Buffer.byteLength(TEXT_PATTERN);
  const parts = [TEXT_PATTERN.repeat(Math.floor(n / unit))];
  let size = Math.floor(n / unit) * unit;
  for (const ch of TEXT_PATTERN) {
    const width = Buffer.byteLength(ch);
    if (size + width > n) break;
    parts.push(ch);
    size += width;
  }
  parts.push('x'.repeat(n - size));
  const text = parts.join('');
  if (Buffer.byteLength(text) !== n) throw new Error('genText length');
  return text;
}

// Byte i is (7 * i + floor(i / 251)) mod 256 (a Buffer).
function genBinary(n) {
  const buf = Buffer.alloc(n);
  for (let i = 0; i < n; i++) buf[i] = (7 * i + Math.floor(i / 251)) & 0xff;
  return buf;
}

// n bytes of UTF-8 mixing 1- to 4-byte characters, different from genText's pattern.
function mixedText(n) {
  const unit = 'A\u00df\u20ac\u{1d11e} z\u00f8\u4e2d\u{1f600}-';
  const width = Buffer.byteLength(unit);
  let text = unit.repeat(Math.floor(n / width));
  text += 'y'.repeat(n - Buffer.byteLength(text));
  if (Buffer.byteLength(text) !== n) throw new Error('mixedText length');
  return text;
}

// --- waiting -------------------------------------------------------------------------------------

// Something whose state changes on events: wait(find) re-runs `find` at every change until it
// returns something other than undefined, or fails after `timeout` ms.
class Waitable {
  constructor() {
    this._waiters = new Set();
  }

  _changed() {
    for (const w of [...this._waiters]) w();
  }

  wait(find, what, timeout = EVENT_TIMEOUT) {
    return new Promise((resolve, reject) => {
      let timer = null;
      const attempt = () => {
        let value;
        try {
          value = find();
        } catch (err) {
          this._waiters.delete(attempt);
          clearTimeout(timer);
          reject(err);
          return true;
        }
        if (value === undefined) return false;
        this._waiters.delete(attempt);
        clearTimeout(timer);
        resolve(value);
        return true;
      };
      if (attempt()) return;
      this._waiters.add(attempt);
      timer = setTimeout(() => {
        this._waiters.delete(attempt);
        reject(new CheckFailed(`no ${what} within ${timeout / 1000} s`));
      }, timeout);
    });
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new CheckFailed(`${what}: timed out after ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// --- the ws_peer process ------------------------------------------------------------------------

class Event {
  constructor(raw) {
    this.raw = raw;
    const parts = raw.split(' ');
    this.tag = parts[0];
    this.name = parts.length > 1 ? parts[1] : '';
    this.fields = {};
    for (const part of parts.slice(2)) {
      const eq = part.indexOf('=');
      if (eq < 0) this.fields[part] = '';
      else this.fields[part.slice(0, eq)] = part.slice(eq + 1);
    }
  }

  get(key) {
    if (!(key in this.fields)) throw new CheckFailed(`event ${JSON.stringify(this.raw)} has no field ${key}`);
    return this.fields[key];
  }

  opt(key, fallback = undefined) {
    return key in this.fields ? this.fields[key] : fallback;
  }
}

class Peer extends Waitable {
  constructor(exe, args, label) {
    super();
    this.exe = exe;
    this.args = [...args];
    this.label = label;
    this.proc = null;
    this.events = [];
    this.stderrLines = [];
    this.eof = false;
    this.exited = false;
    this.exitStatus = null;
    this._closed = null;
  }

  start() {
    this.proc = spawn(this.exe, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    console.log(`    [${this.label}] started pid ${this.proc.pid}: ws_peer ${this.args.join(' ')}`);
    this._closed = new Promise((resolve) => {
      this.proc.on('close', (code, signal) => {
        this.exited = true;
        this.exitStatus = code !== null ? code : `signal ${signal}`;
        this.eof = true;
        this._changed();
        resolve();
      });
    });
    this.proc.on('error', (err) => {
      this.stderrLines.push(`spawn error: ${err.message}`);
      this.eof = true;
      this._changed();
    });
    readline.createInterface({ input: this.proc.stdout }).on('line', (line) => {
      this.events.push(new Event(line));
      this._changed();
    });
    readline.createInterface({ input: this.proc.stderr }).on('line', (line) => this.stderrLines.push(line));
    return this;
  }

  // The index and Event of the first event at or after `start` matching pred.
  async waitFor(pred, what, timeout = EVENT_TIMEOUT, start = 0) {
    const index = await this.wait(() => {
      for (let i = start; i < this.events.length; i++) if (pred(this.events[i])) return i;
      if (this.eof) throw new CheckFailed(`[${this.label}] no ${what}: ws_peer's output ended`);
      return undefined;
    }, `[${this.label}] ${what}`, timeout);
    return [index, this.events[index]];
  }

  async listening() {
    const [, ev] = await this.waitFor((e) => e.tag === '-' && (e.name === 'listening' || e.name === 'bind-failed'),
                                      'listening line');
    if (ev.name !== 'listening') throw new CheckFailed(`[${this.label}] could not bind: ${ev.raw}`);
    return [ev.get('ip'), Number(ev.get('port'))];
  }

  async connByPeerPort(port) {
    const [, ev] = await this.waitFor((e) => e.name === 'open' && (e.opt('peer', '')).endsWith(`:${port}`),
                                      `open event for the connection from port ${port}`);
    return new Conn(this, ev.tag);
  }

  async waitExit(timeout = EXIT_TIMEOUT) {
    await withTimeout(this._closed, timeout, `[${this.label}] waiting for pid ${this.proc.pid} to exit`);
    return this.exitStatus;
  }

  // Ends the process if it still runs: SIGTERM to its PID, SIGKILL after 5 s.
  async stop() {
    if (!this.proc || this.exited || this.proc.pid === undefined) return;
    this.proc.kill('SIGTERM');
    try {
      await withTimeout(this._closed, 5000, 'SIGTERM');
    } catch (err) {
      this.proc.kill('SIGKILL');
      await withTimeout(this._closed, 5000, 'SIGKILL').catch(() => {});
    }
    console.log(`    [${this.label}] stopped pid ${this.proc.pid} (exit status ${this.exitStatus})`);
  }

  // What ws_peer reported through on_error or a failed Sender call, decoded.
  errors() {
    const out = [];
    for (const e of this.events) {
      if (e.name === 'error') {
        out.push(`${e.tag} on_error ${e.opt('kind')}: ${Buffer.from(e.opt('details', ''), 'hex').toString()}`);
      } else if (e.name === 'sender-failed') {
        out.push(`${e.tag} Sender call '${Buffer.from(e.opt('what', ''), 'hex').toString()}' failed: ${e.opt('kind')}`);
      }
    }
    return out;
  }

  dump(last = 40) {
    console.log(`    [${this.label}] last ws_peer events:`);
    for (const ev of this.events.slice(-last)) {
      console.log('        ' + (ev.raw.length < 300 ? ev.raw : ev.raw.slice(0, 300) + '...'));
    }
    if (this.stderrLines.length) {
      console.log(`    [${this.label}] ws_peer stderr:`);
      for (const line of this.stderrLines.slice(-20)) console.log('        ' + line);
    }
  }
}

// One connection's events, read in order: a separate cursor per event name.
class Conn {
  constructor(peer, tag) {
    this.peer = peer;
    this.tag = tag;
    this.cursor = {};
  }

  async next(name, pred = null, timeout = EVENT_TIMEOUT) {
    const start = this.cursor[name] || 0;
    const [index, ev] = await this.peer.waitFor(
      (e) => e.tag === this.tag && e.name === name && (pred === null || pred(e)),
      `'${name}' event on ${this.tag} (after #${start})`, timeout, start);
    this.cursor[name] = index + 1;
    return ev;
  }

  all(name) {
    return this.peer.events.filter((e) => e.tag === this.tag && e.name === name);
  }
}

// --- a ws WebSocket as awaitable queues ---------------------------------------------------------

class Channel extends Waitable {
  constructor(ws, label = 'ws') {
    super();
    this.ws = ws;
    this.label = label;
    this.messages = []; // {data: Buffer, isBinary}
    this.pings = [];
    this.pongs = [];
    this.errors = [];
    this.closeInfo = null; // {code, reason: string}
    this._cursor = { messages: 0, pings: 0, pongs: 0 };
    ws.on('message', (data, isBinary) => {
      this.messages.push({ data: Buffer.isBuffer(data) ? data : Buffer.concat([].concat(data)), isBinary });
      this._changed();
    });
    ws.on('ping', (data) => { this.pings.push(Buffer.from(data)); this._changed(); });
    ws.on('pong', (data) => { this.pongs.push(Buffer.from(data)); this._changed(); });
    ws.on('error', (err) => { this.errors.push(err); this._changed(); });
    ws.on('close', (code, reason) => {
      this.closeInfo = { code, reason: reason.toString('utf8') };
      this._changed();
    });
  }

  _next(queue, what, timeout) {
    return this.wait(() => {
      const i = this._cursor[queue];
      if (i < this[queue].length) {
        this._cursor[queue] = i + 1;
        return this[queue][i];
      }
      if (this.closeInfo) {
        throw new CheckFailed(`[${this.label}] connection closed (${this.closeInfo.code} ` +
                              `${JSON.stringify(this.closeInfo.reason)}) while waiting for ${what}`);
      }
      return undefined;
    }, `[${this.label}] ${what}`, timeout);
  }

  recv(timeout = EVENT_TIMEOUT) { return this._next('messages', 'a message', timeout); }
  nextPing(timeout = EVENT_TIMEOUT) { return this._next('pings', 'a ping', timeout); }
  nextPong(timeout = EVENT_TIMEOUT) { return this._next('pongs', 'a pong', timeout); }

  // Resolves once the 'close' event came: {code, reason}.
  closed(timeout = EVENT_TIMEOUT) {
    return this.wait(() => (this.closeInfo ? this.closeInfo : undefined), `[${this.label}] close event`, timeout);
  }

  // ws.send as a promise (resolved when the data is written to the socket).
  send(data, options = {}) {
    return new Promise((resolve, reject) => {
      this.ws.send(data, options, (err) => (err ? reject(err) : resolve()));
    });
  }

  ping(data) {
    return new Promise((resolve, reject) => {
      this.ws.ping(data, undefined, (err) => (err ? reject(err) : resolve()));
    });
  }
}

// --- checks and the scenario runner -------------------------------------------------------------

class Runner {
  constructor(title) {
    this.title = title;
    this.results = [];
    this.peers = []; // dumped when a scenario fails, stopped at the end
    console.log(`=== ${title}`);
  }

  check(cond, what, detail = '') {
    if (!cond) throw new CheckFailed(what + (detail ? ': ' + detail : ''));
    console.log(`    ok   ${what}`);
  }

  eq(actual, expected, what) {
    if (!util.isDeepStrictEqual(actual, expected)) {
      throw new CheckFailed(`${what}: expected ${short(expected)}, got ${short(actual)}`);
    }
    console.log(`    ok   ${what} == ${short(expected, 60)}`);
  }

  // A received {data, isBinary} is exactly `expected` (a string: text; a Buffer: binary).
  message(got, expected, what) {
    const wantBinary = Buffer.isBuffer(expected);
    this.eq(got.isBinary, wantBinary, `${what}: isBinary`);
    const want = toBuf(expected);
    if (!got.data.equals(want)) {
      throw new CheckFailed(`${what}: expected ${short(want)}, got ${short(got.data)}`);
    }
    console.log(`    ok   ${what}: len=${want.length} crc=${crcHex(want)}`);
  }

  // ws_peer's len/crc/data fields describe exactly `data`.
  payloadEvent(ev, data, what) {
    const raw = toBuf(data);
    const got = [Number(ev.get('len')), ev.get('crc'), ev.get('data')];
    const want = [raw.length, crcHex(raw), raw.length <= 256 ? raw.toString('hex') : '-'];
    if (!util.isDeepStrictEqual(got, want)) {
      throw new CheckFailed(`${what}: expected len=${want[0]} crc=${want[1]} data=${short(want[2])}, ` +
                            `got len=${got[0]} crc=${got[1]} data=${short(got[2])}`);
    }
    console.log(`    ok   ${what}: len=${want[0]} crc=${want[1]}`);
  }

  async run(name, scenario, timeout = SCENARIO_TIMEOUT) {
    console.log(`--- ${name}`);
    const started = Date.now();
    let error = null;
    try {
      await withTimeout(Promise.resolve().then(scenario), timeout, 'scenario');
    } catch (err) {
      error = err instanceof CheckFailed ? err.message : `exception: ${err && err.stack ? err.stack : err}`;
    }
    const elapsed = ((Date.now() - started) / 1000).toFixed(2);
    if (error === null) {
      console.log(`    PASS ${name} (${elapsed} s)`);
    } else {
      console.log(`    FAIL ${name} (${elapsed} s): ${error}`);
      for (const peer of this.peers) peer.dump();
    }
    this.results.push([name, error]);
  }

  fail(name, error) {
    console.log(`    FAIL ${name}: ${error}`);
    this.results.push([name, error]);
  }

  summary() {
    const failed = this.results.filter((r) => r[1] !== null);
    console.log(`=== summary: ${this.title}`);
    for (const [name, error] of this.results) console.log(`    ${error === null ? 'PASS' : 'FAIL'}  ${name}`);
    console.log(`=== ${this.results.length} scenarios, ${this.results.length - failed.length} passed, ` +
                `${failed.length} failed`);
    if (!this.results.length) {
      console.log('=== no scenario ran');
      return 1;
    }
    return failed.length ? 1 : 0;
  }

  async stopAll() {
    for (const peer of this.peers) await peer.stop();
  }
}

// null when a socket can listen on [::1]:0, else why not.
function ipv6LoopbackProblem() {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (err) => resolve(`cannot listen on [::1]:0: ${err.message}`));
    server.listen(0, '::1', () => server.close(() => resolve(null)));
  });
}

// argv: ws_peer path, group name. Runs the group, bounded by GROUP_TIMEOUT, and exits.
function main(runGroup, groups) {
  const [exe, group] = process.argv.slice(2);
  if (process.argv.length !== 4 || !groups.includes(group)) {
    console.log(`usage: ${path.basename(process.argv[1])} PATH_TO_WS_PEER {${groups.join('|')}}`);
    process.exit(2);
  }
  const state = { runner: null };
  const timer = setTimeout(async () => {
    console.log(`=== FAIL: group '${group}' did not finish within ${GROUP_TIMEOUT / 1000} s`);
    if (state.runner) await state.runner.stopAll().catch(() => {});
    process.exit(1);
  }, GROUP_TIMEOUT);
  runGroup(exe, group, state).then(
    (status) => { clearTimeout(timer); process.exit(status); },
    async (err) => {
      console.log(`=== FAIL: ${err && err.stack ? err.stack : err}`);
      if (state.runner) await state.runner.stopAll().catch(() => {});
      process.exit(1);
    });
}

module.exports = {
  SKIP, EVENT_TIMEOUT, SCENARIO_TIMEOUT, GROUP_TIMEOUT, EXIT_TIMEOUT, MIB, CheckFailed,
  loadWs, toBuf, hexs, crcHex, short, genText, genBinary, mixedText,
  Waitable, withTimeout, sleep, Event, Peer, Conn, Channel, Runner, ipv6LoopbackProblem, main,
};
