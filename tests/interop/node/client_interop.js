'use strict';
// ws-cpp's client against the Node.js `ws` package's server (tests/peers/node_modules/ws).
//
//     node client_interop.js PATH_TO_WS_PEER GROUP
//
// Starts a ws WebSocketServer on 127.0.0.1 (or [::1]) port 0 and, for every scenario, a fresh
// `ws_peer client ws://host:port/<scenario>` (an echo client that obeys '!' commands, see
// ws_peer.cpp). The server's handler for that path drives the scenario and checks what comes
// back; the driver then checks ws-cpp's side in ws_peer's event log and that ws_peer exited
// cleanly. Groups: messages, fragments, large, ping, close, subprotocol, ipv6.

const C = require('./interop_common');

const { WebSocketServer, version } = C.loadWs();
const { MIB, CheckFailed, hexs, crcHex, toBuf, genText, genBinary, mixedText } = C;

const GROUPS = ['messages', 'fragments', 'large', 'ping', 'close', 'subprotocol', 'ipv6'];

function u16(code) {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return b;
}

// A ws WebSocketServer on host:0; each connection's path picks the scenario handler that drives
// it; the handler's outcome is kept for the driver.
class NodeServer {
  constructor(host, options = {}) {
    this.host = host;
    this.options = options;
    this.handlers = new Map();
    this.outcomes = new Map();
    this.server = null;
    this.port = null;
  }

  start() {
    return new Promise((resolve, reject) => {
      this.server = new WebSocketServer({ host: this.host, port: 0, maxPayload: 4 * MIB, ...this.options });
      this.server.once('error', reject);
      this.server.once('listening', () => {
        this.port = this.server.address().port;
        console.log(`    ws server listening on ${this.host} port ${this.port}`);
        resolve(this);
      });
      this.server.on('connection', (ws, req) => this.handle(ws, req));
    });
  }

  url(path) {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `ws://${host}:${this.port}${path}`;
  }

  expect(path, handler) {
    let settle;
    const promise = new Promise((resolve, reject) => { settle = { resolve, reject }; });
    promise.catch(() => {}); // observed later by the driver
    this.handlers.set(path, handler);
    this.outcomes.set(path, { promise, settle });
  }

  async handle(ws, req) {
    const path = req.url;
    const handler = this.handlers.get(path);
    const outcome = this.outcomes.get(path);
    if (!handler) {
      ws.close(1008, 'no scenario for this path');
      return;
    }
    const ch = new C.Channel(ws, 'ws-server');
    try {
      await C.withTimeout(handler(ws, ch, req), C.SCENARIO_TIMEOUT - 5000, `handler for ${path}`);
      outcome.settle.resolve();
    } catch (err) {
      outcome.settle.reject(err);
    }
  }

  stop() {
    if (!this.server) return Promise.resolve();
    for (const client of this.server.clients) client.terminate();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

class ClientTests {
  constructor(runner, exe, host = '127.0.0.1') {
    this.r = runner;
    this.exe = exe;
    this.host = host;
    this.server = null;
    this.count = 0;
  }

  // Runs one ws_peer client against `server` at `path`; `handler(ws, ch, req)` drives it on the
  // ws side. Returns [peer, conn] after ws_peer exited with status 0.
  async scenario(server, path, handler, peerArgs = []) {
    this.count += 1;
    server.expect(path, handler);
    const peer = new C.Peer(this.exe, ['client', server.url(path), ...peerArgs], `client-${this.count}`);
    this.r.peers.length = 0;
    this.r.peers.push(peer);
    peer.start();
    try {
      await peer.waitFor((e) => e.tag !== '-' || ['exit', 'connect-failed'].includes(e.name),
                         'sign of a connection from ws_peer');
      await C.withTimeout(server.outcomes.get(path).promise, C.SCENARIO_TIMEOUT - 10000, "ws server's handler");
      const status = await peer.waitExit();
      this.loopOutlivedConnection(peer);
      this.r.check(true, 'WebSocket::run() returned after the connection ended');
      this.r.eq(status, 0, "ws_peer client's exit status");
      this.r.eq(peer.events.length ? peer.events[peer.events.length - 1].raw : null, '- exit status=ok',
                "ws_peer's last line");
    } finally {
      await peer.stop();
    }
    const tagged = peer.events.filter((e) => e.tag !== '-');
    return [peer, tagged.length ? new C.Conn(peer, tagged[0].tag) : null];
  }

  // WebSocket::run() (no listener) must return only after its last connection ended: ws_peer
  // prints "- exit" after run() returns, so every connection event comes first.
  loopOutlivedConnection(peer) {
    const exit = peer.events.findIndex((e) => e.tag === '-' && e.name === 'exit');
    const late = exit >= 0 ? peer.events.slice(exit + 1).map((e) => e.raw) : [];
    if (late.length) {
      throw new CheckFailed(`WebSocket::run() returned while the connection was still open: ws_peer printed ` +
                            `${JSON.stringify(late)} after run() returned`);
    }
  }

  noErrors(peer) {
    const errors = peer.errors();
    if (errors.length) throw new CheckFailed('ws_peer reported errors: ' + errors.slice(0, 5).join('; '));
    this.r.check(true, 'no errors reported by ws-cpp');
  }

  async echo(ch, message, what) {
    await ch.send(message);
    this.r.message(await ch.recv(), message, what + ': echo');
  }

  async close1000(ws, ch) {
    ws.close(1000);
    const info = await ch.closed();
    this.r.eq(info.code, 1000, "ws's close code after its close(1000)");
  }

  closedNormally(conn, code = '1000', reason = '') {
    this.r.eq(conn.all('close').map((e) => [e.get('code'), e.get('reason')]), [[code, hexs(reason)]],
              "ws-cpp's on_close, once");
    this.r.eq(conn.all('gone').length, 1, 'connection_lost once');
  }

  // --- messages ---------------------------------------------------------------------------------

  async messages() {
    const server = this.server;

    await this.r.run('client/handshake: request headers, on_response, Handshake fields', async () => {
      const seen = {};
      const [peer, conn] = await this.scenario(server, '/handshake?q=%C3%A9&x=1', async (ws, ch, req) => {
        seen.headers = req.headers;
        seen.remotePort = req.socket.remotePort;
        seen.extensions = ws.extensions;
        seen.protocol = ws.protocol;
        await this.echo(ch, 'hi', 'text');
        await this.close1000(ws, ch);
      });
      const h = seen.headers;
      this.r.eq((h.upgrade || '').toLowerCase(), 'websocket', 'request Upgrade header');
      this.r.check((h.connection || '').toLowerCase().includes('upgrade'), "request Connection header has 'upgrade'");
      this.r.eq(h['sec-websocket-version'], '13', 'request Sec-WebSocket-Version');
      this.r.eq(h.host, `127.0.0.1:${server.port}`, 'request Host');
      this.r.eq(h['sec-websocket-protocol'], undefined, 'no subprotocol offered');
      this.r.eq(h['sec-websocket-extensions'], undefined, 'no extension offered');
      this.r.eq(seen.extensions, '', 'ws negotiated no extension');
      this.r.eq(seen.protocol, '', 'ws negotiated no subprotocol');
      const res = await conn.next('response');
      this.r.eq([res.get('status'), res.get('protocol'), res.get('extensions')], ['101', '-', '-'],
                'on_response: status, protocol, extensions');
      const opened = await conn.next('open');
      this.r.eq(opened.get('resource'), hexs('/handshake?q=%C3%A9&x=1'), 'Handshake request resource');
      this.r.eq(opened.get('peer'), `127.0.0.1:${server.port}`, 'Handshake peer_addr');
      this.r.eq(opened.get('local'), `127.0.0.1:${seen.remotePort}`, 'Handshake local_addr');
      this.closedNormally(conn);
      this.noErrors(peer);
    });

    await this.r.run('client/messages: text, UTF-8, binary, empty, length encodings', async () => {
      const messages = ['hello ws-cpp', 'h\u00e9llo w\u00f6rld \u2713 \u{1f389} \u65e5\u672c\u8a9e',
                        Buffer.from([...Array(256).keys()]), Buffer.from([0, 0xff, 0, 0xfe]), '', Buffer.alloc(0),
                        'x'.repeat(125), Buffer.alloc(126, 'y'), 'z'.repeat(65535), Buffer.alloc(65536, 'w')];
      const [peer, conn] = await this.scenario(server, '/single', async (ws, ch) => {
        for (const m of messages) {
          await this.echo(ch, m, `${Buffer.isBuffer(m) ? 'binary' : 'text'} of ${toBuf(m).length}`);
        }
        await this.close1000(ws, ch);
      });
      this.r.eq(conn.all('message').map((e) => [e.get('type'), e.get('data'), e.get('crc')]),
                messages.map((m) => [Buffer.isBuffer(m) ? 'binary' : 'text', toBuf(m).length <= 256 ? hexs(m) : '-',
                                     crcHex(m)]),
                'messages ws-cpp received (type, bytes)');
      this.closedNormally(conn);
      this.noErrors(peer);
    });

    await this.r.run('client/messages: 200-message burst in order', async () => {
      const messages = [];
      for (let i = 0; i < 200; i++) {
        messages.push(i % 2 === 0 ? `msg ${i} \u2713` : Buffer.concat(Array(i % 7).fill(Buffer.from([0, 0, i >> 8, i & 0xff]))));
      }
      const [peer, conn] = await this.scenario(server, '/burst', async (ws, ch) => {
        for (const m of messages) ws.send(m);
        for (let i = 0; i < messages.length; i++) this.r.message(await ch.recv(), messages[i], `echo ${i}`);
        await this.close1000(ws, ch);
      });
      this.r.eq(conn.all('message').map((e) => e.get('data')), messages.map(hexs),
                'ws-cpp received the 200 messages in order');
      this.noErrors(peer);
    });
  }

  // --- fragments --------------------------------------------------------------------------------

  async fragments() {
    const server = this.server;
    const key = (op, fin, data) => [op, fin ? '1' : '0', toBuf(data).length, crcHex(data)];
    const wire = (firstOp, parts) => parts.map((p, i) => key(i === 0 ? firstOp : 'continuation', i === parts.length - 1, p));
    const dataFrames = (conn) => conn.all('frame').filter((f) => ['text', 'binary', 'continuation'].includes(f.get('op')))
      .map((f) => [f.get('op'), f.get('fin'), Number(f.get('len')), f.get('crc')]);
    const sendFragments = async (ch, parts, binary) => {
      for (let i = 0; i < parts.length; i++) await ch.send(parts[i], { binary, fin: i === parts.length - 1 });
    };

    const textParts = ['frag-one ', 'frag-tw\u00f6 ', '\u2713'];
    const binaryParts = [Buffer.from([0, 1]), Buffer.alloc(0), Buffer.alloc(1000, 0xff), Buffer.from('end')];
    const whole = Buffer.from('caf\u00e9 \u2713 \u{1f389}!');
    const splitParts = [whole.subarray(0, 4), whole.subarray(4, 7), whole.subarray(7, 8), whole.subarray(8, 12),
                        whole.subarray(12)];

    await this.r.run('client/fragments: text, binary (empty fragment), split UTF-8', async () => {
      const [peer, conn] = await this.scenario(server, '/fragments', async (ws, ch) => {
        await sendFragments(ch, textParts, false);
        this.r.message(await ch.recv(), textParts.join(''), 'text in 3 fragments echoed');
        await sendFragments(ch, binaryParts, true);
        this.r.message(await ch.recv(), Buffer.concat(binaryParts), 'binary in 4 fragments (one empty) echoed');
        await sendFragments(ch, splitParts, false);
        this.r.message(await ch.recv(), whole.toString(), 'text split inside UTF-8 sequences echoed');
        await this.close1000(ws, ch);
      });
      this.r.eq(dataFrames(conn), [...wire('text', textParts), ...wire('binary', binaryParts), ...wire('text', splitParts)],
                'data frames seen by on_frame (opcode, FIN, length, CRC-32)');
      this.r.eq(conn.all('message').map((e) => [e.get('type'), Number(e.get('len')), e.get('crc')]),
                [['text', Buffer.byteLength(textParts.join('')), crcHex(textParts.join(''))],
                 ['binary', 1005, crcHex(Buffer.concat(binaryParts))], ['text', whole.length, crcHex(whole)]],
                'reassembled messages (type, length, CRC-32)');
      this.closedNormally(conn);
      this.noErrors(peer);
    });

    await this.r.run('client/fragments: ping between fragments', async () => {
      const [peer, conn] = await this.scenario(server, '/frag-ping', async (ws, ch) => {
        await ch.send(Buffer.from('first'), { fin: false });
        await ch.ping(Buffer.from('mid'));
        this.r.eq(hexs(await ch.nextPong()), hexs('mid'), 'pong received in the middle of the message');
        await ch.send(Buffer.from('second'), { fin: true });
        this.r.message(await ch.recv(), Buffer.from('firstsecond'), 'message with a ping between fragments echoed');
        await this.close1000(ws, ch);
      });
      this.r.eq(conn.all('frame').map((f) => [f.get('op'), f.get('fin'), f.get('data')]),
                [['binary', '0', hexs('first')], ['ping', '1', hexs('mid')], ['continuation', '1', hexs('second')],
                 ['close', '1', hexs(u16(1000))]], 'frames seen by on_frame');
      this.r.eq(conn.all('send').filter((e) => e.get('op') === 'pong').map((e) => e.get('data')), [hexs('mid')],
                "ws-cpp's pong payload");
      this.noErrors(peer);
    });

    await this.r.run('client/fragments: 1000 fragments, 1 MiB fragmented', async () => {
      const big = genBinary(MIB);
      const text = Buffer.from(mixedText(MIB));
      const [peer, conn] = await this.scenario(server, '/frag-many', async (ws, ch) => {
        const parts = [];
        for (let i = 0; i < 1000; i++) parts.push(Buffer.from([i % 256]));
        await sendFragments(ch, parts, true);
        this.r.message(await ch.recv(), Buffer.concat(parts), '1000 one-byte fragments reassembled');
        const chunks = [];
        for (let i = 0; i < MIB; i += 65536) chunks.push(big.subarray(i, i + 65536));
        await sendFragments(ch, chunks, true);
        this.r.message(await ch.recv(), big, '1 MiB binary in 16 fragments reassembled');
        const pieces = [];
        for (let i = 0; i < text.length; i += 10000) pieces.push(text.subarray(i, i + 10000));
        await sendFragments(ch, pieces, false);
        this.r.message(await ch.recv(), text.toString(), '1 MiB text in 10000-byte fragments (split code points)');
        await this.close1000(ws, ch);
      });
      this.closedNormally(conn);
      this.noErrors(peer);
    });
  }

  // --- large ------------------------------------------------------------------------------------

  async large() {
    const server = this.server;
    const big = async (path, peerArgs) => {
      const [peer, conn] = await this.scenario(server, path, async (ws, ch) => {
        await this.echo(ch, mixedText(MIB), '1 MiB text (1-4 byte characters)');
        await this.echo(ch, genBinary(MIB), '1 MiB binary (every byte value)');
        await ch.send(`!gen text ${MIB}`);
        this.r.message(await ch.recv(), genText(MIB), '1 MiB text generated by ws-cpp');
        await ch.send(`!gen binary ${MIB}`);
        this.r.message(await ch.recv(), genBinary(MIB), '1 MiB binary generated by ws-cpp');
        await this.close1000(ws, ch);
      }, peerArgs);
      const got = conn.all('message');
      this.r.payloadEvent(got[0], mixedText(MIB), '1 MiB text received by ws-cpp');
      this.r.payloadEvent(got[1], genBinary(MIB), '1 MiB binary received by ws-cpp');
      this.closedNormally(conn);
      this.noErrors(peer);
    };
    await this.r.run('client/large: 1 MiB text and binary, both ways', () => big('/large', []));
    await this.r.run('client/large: 1 MiB sent by ws-cpp in 16 KiB fragments (masked)',
                     () => big('/large-frag', ['--fragment-size', '16384']));
  }

  // --- ping -------------------------------------------------------------------------------------

  async ping() {
    const server = this.server;
    const payloads = [Buffer.alloc(0), Buffer.from('hello'), Buffer.from('\x00\xff\x80\xc3 not UTF-8', 'latin1'),
                      Buffer.from([...Array(125).keys()])];

    await this.r.run('client/ping: ws pings, ws-cpp pongs the same payload', async () => {
      const [peer, conn] = await this.scenario(server, '/ping', async (ws, ch) => {
        for (const p of payloads) {
          await ch.ping(p);
          this.r.eq(hexs(await ch.nextPong()), hexs(p), `ws-cpp's pong for a ${p.length}-byte ping`);
        }
        await this.echo(ch, 'still open', 'message after pings');
        await this.close1000(ws, ch);
      });
      this.r.eq(conn.all('frame').filter((e) => e.get('op') === 'ping').map((e) => e.get('data')), payloads.map(hexs),
                'pings seen by on_frame');
      this.r.eq(conn.all('send').filter((e) => e.get('op') === 'pong').map((e) => e.get('data')), payloads.map(hexs),
                'auto pongs seen by on_send_frame');
      this.closedNormally(conn);
      this.noErrors(peer);
    });

    await this.r.run("client/ping: ws-cpp pings, ws's pong seen by on_frame", async () => {
      const [peer, conn] = await this.scenario(server, '/client-ping', async (ws, ch) => {
        for (const p of payloads) {
          await ch.send('!ping ' + hexs(p));
          this.r.eq(hexs(await ch.nextPing()), hexs(p), `ws received ws-cpp's ${p.length}-byte ping`);
          this.r.message(await ch.recv(), '!pong ' + hexs(p), "ws's pong reported by ws-cpp's on_frame");
        }
        await this.close1000(ws, ch);
      });
      this.r.eq(conn.all('send').filter((e) => e.get('op') === 'ping').map((e) => e.get('data')), payloads.map(hexs),
                'pings sent by ws-cpp');
      this.r.eq(conn.all('frame').filter((e) => e.get('op') === 'pong').map((e) => e.get('data')), payloads.map(hexs),
                'pongs seen by on_frame');
      this.closedNormally(conn);
      this.noErrors(peer);
    });
  }

  // --- close ------------------------------------------------------------------------------------

  async close() {
    const server = this.server;

    // ws (the server) closes with (code, reason); code null: close() without a code.
    const wsCloses = async (path, code, reason) => {
      const seen = {};
      const [peer, conn] = await this.scenario(server, path, async (ws, ch) => {
        await this.echo(ch, 'before close', 'message before close');
        const started = Date.now();
        if (code === null) ws.close(); else ws.close(code, reason);
        seen.info = await ch.closed();
        seen.elapsed = (Date.now() - started) / 1000;
      });
      const want = code === null ? 1005 : code;
      const wantReason = code === null ? '' : reason;
      const wireBytes = code === null ? Buffer.alloc(0) : Buffer.concat([u16(code), Buffer.from(reason)]);
      this.r.eq(conn.all('frame').filter((e) => e.get('op') === 'close').map((e) => e.get('data')), [hexs(wireBytes)],
                'close frame seen by on_frame');
      this.closedNormally(conn, String(want), wantReason);
      // ws-cpp replies with the code it received and no reason (RFC 6455 5.5.1); an empty close
      // frame to an empty one.
      this.r.eq(conn.all('send').filter((e) => e.get('op') === 'close').map((e) => e.get('data')),
                [code === null ? '' : hexs(u16(code))], "ws-cpp's close reply");
      this.r.eq([seen.info.code, seen.info.reason], [want, ''], "ws's close event (ws-cpp's reply)");
      this.r.check(seen.elapsed < 4.0, `ws's close event ${seen.elapsed.toFixed(2)} s after close() (< 4 s)`);
      this.noErrors(peer);
    };

    const clientCloses = async (path, command, code, reason) => {
      const seen = {};
      const started = Date.now();
      const [peer, conn] = await this.scenario(server, path, async (ws, ch) => {
        await ch.send(command);
        seen.info = await ch.closed();
      });
      const elapsed = (Date.now() - started) / 1000;
      this.r.eq([seen.info.code, seen.info.reason], [code, reason], "ws's close event (code, reason)");
      const wireBytes = code === 1005 ? Buffer.alloc(0) : Buffer.concat([u16(code), Buffer.from(reason)]);
      this.r.eq(conn.all('send').filter((e) => e.get('op') === 'close').map((e) => e.get('data')), [hexs(wireBytes)],
                'close frame sent by ws-cpp');
      // ws echoes the close frame's code and reason, then ends TCP: the client's loop ends at once
      // (not after close_timeout_ms, 5 s).
      this.closedNormally(conn, String(code), reason);
      this.r.check(elapsed < 4.0, `ws_peer ran and exited in ${elapsed.toFixed(2)} s (< 4 s)`);
      this.noErrors(peer);
    };

    const longReason = 'r\u00e9'.repeat(41);
    await this.r.run("client/close: ws closes with 4011 'server bye \u2713'",
                     () => wsCloses('/pc1', 4011, 'server bye \u2713'));
    await this.r.run('client/close: ws closes with 1001 and no reason', () => wsCloses('/pc2', 1001, ''));
    await this.r.run("client/close: ws's close() without a code (an empty close frame, 1005)",
                     () => wsCloses('/pc3', null, null));
    await this.r.run("client/close: ws-cpp closes with 4010 'client reason'",
                     () => clientCloses('/cc1', '!close 4010 client reason', 4010, 'client reason'));
    await this.r.run('client/close: ws-cpp closes with 3000 and a 123-byte reason',
                     () => clientCloses('/cc2', '!close 3000 ' + longReason, 3000, longReason));
    await this.r.run('client/close: ws-cpp closes with an empty close frame (ws sees 1005)',
                     () => clientCloses('/cc3', '!close 0', 1005, ''));
    await this.r.run('client/close: ws terminates TCP without a close frame -> 1006', async () => {
      const [peer, conn] = await this.scenario(server, '/drop', async (ws, ch) => {
        await this.echo(ch, 'then the TCP connection drops', 'message');
        ws.terminate();
      });
      this.r.eq(conn.all('close').map((e) => [e.get('code'), e.get('reason')]), [['1006', '']],
                "ws-cpp's on_close(Abnormal) once");
      this.r.eq(conn.all('gone').length, 1, 'connection_lost once');
      this.r.eq(conn.all('send').filter((e) => e.get('op') === 'close').length, 0, 'ws-cpp sent no close frame');
    });
  }

  // --- subprotocol ------------------------------------------------------------------------------

  async subprotocol() {
    // handleProtocols(offered: Set, req): the server's choice, or false for none.
    const negotiate = async (path, choose, expected, mustFail = false) => {
      const server = await new NodeServer(this.host, { handleProtocols: choose }).start();
      const seen = {};
      let peer;
      let conn;
      try {
        [peer, conn] = await this.scenario(server, path, async (ws, ch, req) => {
          seen.offered = (req.headers['sec-websocket-protocol'] || '').split(',').map((p) => p.trim());
          seen.chosen = ws.protocol;
          if (mustFail) {
            // ws-cpp must fail this connection (RFC 6455 4.1: a subprotocol it did not offer).
            seen.info = await ch.closed();
            return;
          }
          await this.echo(ch, `speaking ${expected}`, 'message');
          await this.close1000(ws, ch);
        }, ['--protocol', 'chat.v1', '--protocol', 'chat.v2']);
      } finally {
        await server.stop();
      }
      this.r.eq(seen.offered, ['chat.v1', 'chat.v2'], 'protocols ws-cpp offered, in order');
      if (mustFail) {
        this.r.eq(conn.all('open').length, 0, 'no on_open for a response with an unoffered protocol');
        this.r.eq(conn.all('close').length, 0, 'no on_close either (the connection never opened)');
        this.r.check(conn.all('error').length >= 1, 'on_error reported the failed handshake',
                     JSON.stringify(conn.all('error').map((e) => e.raw)));
        this.r.check([1006, 1002].includes(seen.info.code), `ws saw the connection fail (code ${seen.info.code})`);
        return;
      }
      this.r.eq(seen.chosen, expected || '', 'ws selected');
      const want = expected ? hexs(expected) : '-';
      const res = await conn.next('response');
      this.r.eq(res.get('protocol'), want, 'Response::protocol() in on_response');
      const opened = await conn.next('open');
      this.r.eq(opened.get('protocol'), want, 'Handshake response protocol in on_open');
      this.closedNormally(conn);
      this.noErrors(peer);
    };

    // The server's preference list applied in the client's order of offers.
    const supporting = (list) => (offered) => [...offered].find((p) => list.includes(p)) || false;

    await this.r.run('client/subprotocol: offers chat.v1, chat.v2; ws supports superchat, chat.v2 -> chat.v2',
                     () => negotiate('/proto1', supporting(['superchat', 'chat.v2']), 'chat.v2'));
    await this.r.run('client/subprotocol: ws supports none of them -> none',
                     () => negotiate('/proto2', supporting(['other']), null));
    await this.r.run('client/subprotocol: ws answers chat.v3 (not offered) -> ws-cpp fails the handshake',
                     () => negotiate('/proto3', () => 'chat.v3', null, true));
  }

  // --- ipv6 -------------------------------------------------------------------------------------

  async ipv6() {
    const server = this.server;
    await this.r.run('client/ipv6: text, 1 MiB, pings both ways, close over [::1]', async () => {
      const seen = {};
      const [peer, conn] = await this.scenario(server, '/v6', async (ws, ch, req) => {
        seen.remote = [req.socket.remoteAddress, req.socket.remotePort];
        seen.host = req.headers.host;
        await this.echo(ch, 'over IPv6 \u2713', 'text');
        await this.echo(ch, genBinary(MIB), '1 MiB binary');
        await ch.ping(Buffer.from('v6'));
        this.r.eq(hexs(await ch.nextPong()), hexs('v6'), 'pong over IPv6');
        await ch.send('!ping 7636');
        this.r.message(await ch.recv(), '!pong 7636', "ws-cpp's ping answered over IPv6");
        ws.close(4006, 'v6 bye');
        this.r.eq((await ch.closed()).code, 4006, "ws's close code");
      });
      this.r.eq(seen.remote[0], '::1', "ws's peer address");
      this.r.eq(seen.host, `[::1]:${server.port}`, 'request Host');
      const opened = await conn.next('open');
      this.r.eq(opened.get('peer'), `[::1]:${server.port}`, 'Handshake peer_addr');
      this.r.eq(opened.get('local'), `[::1]:${seen.remote[1]}`, 'Handshake local_addr');
      this.closedNormally(conn, '4006', 'v6 bye');
      this.noErrors(peer);
    });
  }
}

async function runGroup(exe, group, state) {
  const runner = new C.Runner(`ws-cpp client -> Node.js ws ${version} server: ${group}`);
  state.runner = runner;
  let host = '127.0.0.1';
  if (group === 'ipv6') {
    const problem = await C.ipv6LoopbackProblem();
    if (problem) {
      console.log(`SKIP: no IPv6 loopback on this machine (${problem})`);
      return C.SKIP;
    }
    host = '::1';
  }
  const tests = new ClientTests(runner, exe, host);
  try {
    if (group !== 'subprotocol') {
      try {
        tests.server = await new NodeServer(host).start();
      } catch (err) {
        runner.fail(`start the ws server on ${host}`, err.message);
        return runner.summary();
      }
    }
    await tests[group]();
  } finally {
    await runner.stopAll();
    if (tests.server) await tests.server.stop();
  }
  return runner.summary();
}

C.main(runGroup, GROUPS);
