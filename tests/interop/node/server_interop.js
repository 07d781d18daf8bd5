'use strict';
// ws-cpp's server against the Node.js `ws` package's client (tests/peers/node_modules/ws).
//
//     node server_interop.js PATH_TO_WS_PEER GROUP
//
// Starts `ws_peer server` (an echo server on 127.0.0.1 or [::1], port 0), connects to it with
// ws's WebSocket and checks, byte for byte, what comes back and what ws-cpp's handler saw
// (ws_peer's event log). Groups: messages, fragments, large, ping, close, subprotocol, ipv6.

const C = require('./interop_common');

const { WebSocket, version } = C.loadWs();
const { MIB, CheckFailed, hexs, genText, genBinary, mixedText } = C;

const GROUPS = ['messages', 'fragments', 'large', 'ping', 'close', 'subprotocol', 'ipv6'];

function u16(code) {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return b;
}

// ws's client with every wait bounded; permessage-deflate offered (ws's default), which ws-cpp
// does not implement and must decline. Resolves {ws, ch, res, port} once open.
function connect(url, protocols = undefined, label = 'ws-client') {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { handshakeTimeout: 10000, maxPayload: 4 * MIB });
    const ch = new C.Channel(ws, label);
    let res = null;
    ws.once('upgrade', (r) => { res = r; });
    ws.once('open', () => resolve({ ws, ch, res, port: res.socket.localPort, remotePort: res.socket.remotePort }));
    ws.once('error', (err) => {
      const failure = new CheckFailed(`ws could not connect to ${url}: ${err.message}`);
      failure.cause = err;
      failure.res = res; // the 101 response, when ws refused it
      reject(failure);
    });
  });
}

class ServerTests {
  constructor(runner, exe, host = '127.0.0.1') {
    this.r = runner;
    this.exe = exe;
    this.host = host;
    this.peer = null;
    this.url = null;
  }

  async start(extra = [], label = 'server') {
    const peer = new C.Peer(this.exe, ['server', '--host', this.host, ...extra], label);
    this.r.peers.push(peer);
    peer.start();
    const [ip, port] = await peer.listening();
    this.r.eq(ip, this.host, 'ws_peer listens on');
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return [peer, `ws://${host}:${port}`];
  }

  // Opens a ws client at url; returns the client and ws_peer's Conn for it.
  async open(peer, url, protocols = undefined) {
    const client = await connect(url, protocols);
    client.conn = await peer.connByPeerPort(client.port);
    return client;
  }

  // Sends `message` (a string: text; a Buffer: binary); checks the echo and ws-cpp's message event.
  async echo(client, message, what) {
    await client.ch.send(message);
    this.r.message(await client.ch.recv(), message, what + ': echo');
    const ev = await client.conn.next('message');
    this.r.eq(ev.get('type'), Buffer.isBuffer(message) ? 'binary' : 'text', what + ": ws-cpp's message type");
    this.r.payloadEvent(ev, message, what + ": ws-cpp's message");
  }

  async closeNormally(client) {
    client.ws.close(1000);
    const info = await client.ch.closed();
    this.r.eq(info.code, 1000, "ws's close code after its close(1000)");
    const ev = await client.conn.next('close');
    this.r.eq([ev.get('code'), ev.get('reason')], ['1000', ''], "ws-cpp's on_close");
    await client.conn.next('gone');
  }

  async dataFrames(conn, count) {
    const frames = [];
    while (frames.length < count) {
      const ev = await conn.next('frame');
      if (['text', 'binary', 'continuation'].includes(ev.get('op'))) frames.push(ev);
    }
    return frames.map((f) => [f.get('op'), f.get('fin'), Number(f.get('len')), f.get('crc')]);
  }

  // --- messages ---------------------------------------------------------------------------------

  async messages() {
    const { peer, url } = this;

    await this.r.run('server/handshake: deflate offer declined, Handshake fields', async () => {
      const resource = '/chat/room?x=1&y=%C3%A9';
      const c = await this.open(peer, url + resource);
      const req = await c.conn.next('request');
      this.r.eq(req.get('resource'), hexs(resource), 'request resource seen by on_request');
      const offers = req.get('extensions') === '-' ? []
        : req.get('extensions').split(',').map((x) => Buffer.from(x, 'hex').toString());
      this.r.check(offers.some((o) => o.startsWith('permessage-deflate')), 'ws offered permessage-deflate',
                   JSON.stringify(offers));
      this.r.eq(c.ws.extensions, '', 'extensions ws ended up with (ws-cpp declines deflate)');
      this.r.eq(c.ws.protocol, '', 'subprotocol');
      this.r.eq((c.res.headers.upgrade || '').toLowerCase(), 'websocket', 'response Upgrade header');
      this.r.check((c.res.headers.connection || '').toLowerCase().includes('upgrade'),
                   "response Connection header has 'upgrade'");
      this.r.eq(c.res.headers['sec-websocket-extensions'], undefined, 'no Sec-WebSocket-Extensions in the response');
      const opened = await c.conn.next('open');
      this.r.eq(opened.get('resource'), hexs(resource), 'Handshake request resource');
      this.r.eq(opened.get('peer'), `127.0.0.1:${c.port}`, 'Handshake peer_addr');
      this.r.eq(opened.get('local'), `127.0.0.1:${c.remotePort}`, 'Handshake local_addr');
      this.r.eq(opened.get('extensions'), '-', 'Handshake response extensions');
      await this.closeNormally(c);
    });

    await this.r.run('server/messages: text, UTF-8, binary, empty, length encodings', async () => {
      const c = await this.open(peer, url + '/single');
      await this.echo(c, 'hello ws-cpp', 'ASCII text');
      await this.echo(c, 'h\u00e9llo w\u00f6rld \u2713 \u{1f389} \u65e5\u672c\u8a9e', 'UTF-8 text');
      await this.echo(c, Buffer.from([...Array(256).keys()]), 'binary 0..255');
      await this.echo(c, Buffer.from([0, 0xff, 0, 0xfe]), 'binary with NULs');
      await this.echo(c, '', 'empty text');
      await this.echo(c, Buffer.alloc(0), 'empty binary');
      await this.echo(c, 'x'.repeat(125), 'text of 125 bytes (7-bit length)');
      await this.echo(c, Buffer.alloc(126, 'y'), 'binary of 126 bytes (16-bit length)');
      await this.echo(c, 'z'.repeat(65535), 'text of 65535 bytes (16-bit length)');
      await this.echo(c, Buffer.alloc(65536, 'w'), 'binary of 65536 bytes (64-bit length)');
      await this.closeNormally(c);
    });

    await this.r.run('server/messages: 200-message burst in order', async () => {
      const messages = [];
      for (let i = 0; i < 200; i++) {
        if (i % 2 === 0) messages.push(`msg ${i} \u2713`);
        else messages.push(Buffer.concat(Array(i % 7).fill(Buffer.from([0, 0, i >> 8, i & 0xff]))));
      }
      const c = await this.open(peer, url + '/burst');
      for (const m of messages) c.ws.send(m); // all sent before reading anything back
      for (let i = 0; i < messages.length; i++) this.r.message(await c.ch.recv(), messages[i], `echo ${i}`);
      const seen = [];
      for (let i = 0; i < messages.length; i++) seen.push((await c.conn.next('message')).get('data'));
      this.r.eq(seen, messages.map(hexs), 'ws-cpp received the 200 messages in order');
      await this.closeNormally(c);
    });

    await this.r.run('server/messages: 5 concurrent clients', async () => {
      await Promise.all([0, 1, 2, 3, 4].map(async (i) => {
        const c = await this.open(peer, url + `/c${i}`);
        const back = [];
        const sent = [];
        for (let j = 0; j < 20; j++) {
          sent.push(`client ${i} message ${j}`);
          await c.ch.send(sent[j]);
          back.push((await c.ch.recv()).data.toString());
        }
        this.r.eq(back, sent, `client ${i}: 20 echoes`);
        await this.closeNormally(c);
      }));
    });
  }

  // --- fragments --------------------------------------------------------------------------------

  async fragments() {
    const { peer, url } = this;
    const key = (op, fin, data) => [op, fin ? '1' : '0', C.toBuf(data).length, C.crcHex(data)];
    // The frames ws writes for `parts` sent with send(part, {fin: false}) ... send(last, {fin: true}).
    const wire = (firstOp, parts) => parts.map((p, i) => key(i === 0 ? firstOp : 'continuation',
                                                              i === parts.length - 1, p));

    // Sends `parts` as one message in fragments; `binary`: the message's type.
    const sendFragments = async (c, parts, binary) => {
      for (let i = 0; i < parts.length; i++) {
        await c.ch.send(parts[i], { binary, fin: i === parts.length - 1 });
      }
    };

    await this.r.run('server/fragments: text in 3 fragments (send with fin: false)', async () => {
      const c = await this.open(peer, url + '/frag-text');
      const parts = ['frag-one ', 'frag-tw\u00f6 ', '\u2713'];
      await sendFragments(c, parts, false);
      this.r.eq(await this.dataFrames(c.conn, 3), wire('text', parts),
                'frames seen by on_frame (opcode, FIN, length, CRC-32)');
      this.r.message(await c.ch.recv(), parts.join(''), 'reassembled text echoed');
      this.r.payloadEvent(await c.conn.next('message'), parts.join(''), "ws-cpp's message");
      await this.closeNormally(c);
    });

    await this.r.run('server/fragments: binary in 4 fragments, one empty', async () => {
      const c = await this.open(peer, url + '/frag-binary');
      const parts = [Buffer.from([0, 1]), Buffer.alloc(0), Buffer.alloc(1000, 0xff), Buffer.from('end')];
      await sendFragments(c, parts, true);
      this.r.eq(await this.dataFrames(c.conn, 4), wire('binary', parts),
                'frames seen by on_frame (opcode, FIN, length, CRC-32)');
      this.r.message(await c.ch.recv(), Buffer.concat(parts), 'reassembled binary echoed');
      this.r.payloadEvent(await c.conn.next('message'), Buffer.concat(parts), "ws-cpp's message");
      await this.closeNormally(c);
    });

    await this.r.run('server/fragments: UTF-8 sequences split across fragments', async () => {
      // Legal: RFC 6455 5.6 checks the whole message. Buffers sent with binary: false are text.
      const c = await this.open(peer, url + '/frag-split');
      const whole = Buffer.from('caf\u00e9 \u2713 \u{1f389}!');
      const parts = [whole.subarray(0, 4), whole.subarray(4, 7), whole.subarray(7, 8), whole.subarray(8, 12),
                     whole.subarray(12)];
      await sendFragments(c, parts, false);
      this.r.eq(await this.dataFrames(c.conn, 5), wire('text', parts), 'text split inside code points: frames');
      this.r.message(await c.ch.recv(), whole.toString(), 'reassembled text echoed');
      await this.closeNormally(c);
    });

    await this.r.run('server/fragments: ping between fragments', async () => {
      const c = await this.open(peer, url + '/frag-ping');
      await c.ch.send('part-1 ', { fin: false });
      await c.ch.ping(Buffer.from('mid')); // a control frame inside a message (RFC 6455 5.4)
      this.r.eq(hexs(await c.ch.nextPong()), hexs('mid'), 'pong received in the middle of the message');
      await c.ch.send('part-2', { fin: true });
      const seq = [];
      for (let i = 0; i < 3; i++) {
        const f = await c.conn.next('frame');
        seq.push([f.get('op'), f.get('fin'), f.get('data')]);
      }
      this.r.eq(seq, [['text', '0', hexs('part-1 ')], ['ping', '1', hexs('mid')], ['continuation', '1', hexs('part-2')]],
                'frames seen by on_frame');
      const pong = await c.conn.next('send', (e) => e.get('op') === 'pong');
      this.r.eq(pong.get('data'), hexs('mid'), "ws-cpp's pong payload");
      this.r.message(await c.ch.recv(), 'part-1 part-2', 'reassembled text echoed');
      await this.closeNormally(c);
    });

    await this.r.run('server/fragments: 1000 fragments, 1 MiB fragmented', async () => {
      const c = await this.open(peer, url + '/frag-many');
      const parts = [];
      for (let i = 0; i < 1000; i++) parts.push(Buffer.from([i % 256]));
      await sendFragments(c, parts, true);
      this.r.message(await c.ch.recv(), Buffer.concat(parts), '1000 one-byte fragments reassembled');
      const big = genBinary(MIB);
      const chunks = [];
      for (let i = 0; i < MIB; i += 65536) chunks.push(big.subarray(i, i + 65536));
      await sendFragments(c, chunks, true);
      this.r.message(await c.ch.recv(), big, '1 MiB binary in 16 fragments of 64 KiB reassembled');
      const text = Buffer.from(mixedText(MIB));
      const pieces = [];
      for (let i = 0; i < text.length; i += 10000) pieces.push(text.subarray(i, i + 10000));
      await sendFragments(c, pieces, false);
      this.r.message(await c.ch.recv(), text.toString(), '1 MiB text in 10000-byte fragments (split code points)');
      await this.closeNormally(c);
    });
  }

  // --- large ------------------------------------------------------------------------------------

  async bigOnes(peer, url, label) {
    const c = await this.open(peer, url + '/large');
    await this.echo(c, mixedText(MIB), label + '1 MiB text (1-4 byte characters)');
    await this.echo(c, genBinary(MIB), label + '1 MiB binary (every byte value)');
    await c.ch.send(`!gen text ${MIB}`);
    this.r.message(await c.ch.recv(), genText(MIB), label + '1 MiB text generated by ws-cpp');
    await c.ch.send(`!gen binary ${MIB}`);
    this.r.message(await c.ch.recv(), genBinary(MIB), label + '1 MiB binary generated by ws-cpp');
    await this.closeNormally(c);
  }

  async large() {
    await this.r.run('server/large: 1 MiB text and binary, both ways', () => this.bigOnes(this.peer, this.url, ''));
    await this.r.run('server/large: 1 MiB sent by ws-cpp in 16 KiB fragments', async () => {
      const [peer, url] = await this.start(['--fragment-size', '16384'], 'server-frag16k');
      await this.bigOnes(peer, url, 'fragment_size 16 KiB: ');
      await peer.stop();
    });
  }

  // --- ping -------------------------------------------------------------------------------------

  async ping() {
    const { peer, url } = this;
    const payloads = [Buffer.alloc(0), Buffer.from('hello'), Buffer.from('\x00\xff\x80\xc3 not UTF-8', 'latin1'),
                      Buffer.from([...Array(125).keys()])];

    await this.r.run('server/ping: ws pings, ws-cpp pongs the same payload', async () => {
      const c = await this.open(peer, url + '/ping');
      for (const p of payloads) {
        await c.ch.ping(p);
        this.r.eq(hexs(await c.ch.nextPong()), hexs(p), `pong for a ${p.length}-byte ping`);
        let ev = await c.conn.next('frame', (e) => ['ping', 'pong'].includes(e.get('op')));
        this.r.eq([ev.get('op'), ev.get('data')], ['ping', hexs(p)], 'ping seen by on_frame');
        ev = await c.conn.next('send', (e) => ['ping', 'pong'].includes(e.get('op')));
        this.r.eq([ev.get('op'), ev.get('data')], ['pong', hexs(p)], 'auto pong seen by on_send_frame');
      }
      await this.echo(c, 'still open', 'message after pings');
      await this.closeNormally(c);
    });

    await this.r.run("server/ping: ws-cpp pings, ws's pong seen by on_frame", async () => {
      const c = await this.open(peer, url + '/server-ping');
      for (const p of payloads) {
        await c.ch.send('!ping ' + hexs(p));
        this.r.eq(hexs(await c.ch.nextPing()), hexs(p), `ws received ws-cpp's ${p.length}-byte ping`);
        // ws_peer answers "!pong HEX" when on_frame sees the pong ws sent back.
        this.r.message(await c.ch.recv(), '!pong ' + hexs(p), "ws's pong reported by ws-cpp's on_frame");
        let ev = await c.conn.next('send', (e) => ['ping', 'pong'].includes(e.get('op')));
        this.r.eq([ev.get('op'), ev.get('data')], ['ping', hexs(p)], 'ping sent by ws-cpp');
        ev = await c.conn.next('frame', (e) => ['ping', 'pong'].includes(e.get('op')));
        this.r.eq([ev.get('op'), ev.get('data')], ['pong', hexs(p)], 'pong seen by on_frame');
      }
      await this.closeNormally(c);
    });
  }

  // --- close ------------------------------------------------------------------------------------

  async close() {
    const { peer, url } = this;

    // ws closes with (code, reason); code null: ws's close() without a code (an empty close frame).
    const wsCloses = async (code, reason) => {
      const c = await this.open(peer, url + '/close');
      await this.echo(c, 'before close', 'message before close');
      const started = Date.now();
      if (code === null) c.ws.close(); else c.ws.close(code, reason);
      const info = await c.ch.closed();
      const elapsed = (Date.now() - started) / 1000;
      const frame = await c.conn.next('frame', (e) => e.get('op') === 'close');
      const wireBytes = code === null ? Buffer.alloc(0) : Buffer.concat([u16(code), Buffer.from(reason)]);
      this.r.eq(frame.get('data'), hexs(wireBytes), 'close frame seen by on_frame');
      const want = code === null ? 1005 : code;
      const ev = await c.conn.next('close');
      this.r.eq([ev.get('code'), ev.get('reason')], [String(want), code === null ? '' : hexs(reason)],
                "ws-cpp's on_close(code, reason)");
      // ws-cpp replies with the code it received and no reason (RFC 6455 5.5.1), or with an empty
      // close frame to an empty one.
      const sent = await c.conn.next('send', (e) => e.get('op') === 'close');
      this.r.eq(sent.get('data'), code === null ? '' : hexs(u16(code)), "ws-cpp's close reply");
      this.r.eq([info.code, info.reason], [want, ''], "ws's close event (ws-cpp's reply)");
      // The server closes TCP right after the close handshake (RFC 6455 7.1.1): ws's 'close'
      // event comes at once, not after its 30 s closing timeout.
      this.r.check(elapsed < 4.0, `ws's close event ${elapsed.toFixed(2)} s after close() (< 4 s)`);
      await c.conn.next('gone');
      this.r.eq(c.conn.all('close').length, 1, 'on_close called once');
    };

    const serverCloses = async (command, code, reason) => {
      const c = await this.open(peer, url + '/server-close');
      await c.ch.send(command);
      const info = await c.ch.closed();
      this.r.eq([info.code, info.reason], [code, reason], "ws's close event (code, reason)");
      const sent = await c.conn.next('send', (e) => e.get('op') === 'close');
      const wireBytes = code === 1005 ? Buffer.alloc(0) : Buffer.concat([u16(code), Buffer.from(reason)]);
      this.r.eq(sent.get('data'), hexs(wireBytes), 'close frame sent by ws-cpp');
      // ws echoes the close frame's code and reason.
      const ev = await c.conn.next('close');
      this.r.eq([ev.get('code'), ev.get('reason')], [String(code), hexs(reason)], "ws-cpp's on_close (ws's echo)");
      await c.conn.next('gone');
      this.r.eq(c.conn.all('close').length, 1, 'on_close called once');
      this.r.eq(c.ch.messages.length, 0, 'ws received no message before the close');
    };

    const longReason = 'r\u00e9'.repeat(41); // 123 bytes: the largest reason a close frame can carry

    await this.r.run("server/close: ws closes with 4003 'client bye \u2713'", () => wsCloses(4003, 'client bye \u2713'));
    await this.r.run('server/close: ws closes with 1001 and no reason', () => wsCloses(1001, ''));
    await this.r.run('server/close: ws closes with a 123-byte reason', () => wsCloses(3000, longReason));
    await this.r.run("server/close: ws's close() without a code (an empty close frame, 1005)", () => wsCloses(null));
    await this.r.run("server/close: ws-cpp closes with 4001 'some reason'",
                     () => serverCloses('!close 4001 some reason', 4001, 'some reason'));
    await this.r.run("server/close: ws-cpp closes with 1000 'd\u00e9j\u00e0 vu \u2713'",
                     () => serverCloses('!close 1000 d\u00e9j\u00e0 vu \u2713', 1000, 'd\u00e9j\u00e0 vu \u2713'));
    await this.r.run('server/close: ws-cpp closes with a 123-byte reason',
                     () => serverCloses('!close 3000 ' + longReason, 3000, longReason));
    await this.r.run('server/close: ws-cpp closes with an empty close frame (ws sees 1005)',
                     () => serverCloses('!close 0', 1005, ''));

    await this.r.run('server/close: ws terminates TCP without a close frame -> 1006', async () => {
      const c = await this.open(peer, url + '/terminate');
      await this.echo(c, 'then the TCP connection drops', 'message');
      c.ws.terminate();
      const ev = await c.conn.next('close');
      this.r.eq([ev.get('code'), ev.get('reason')], ['1006', ''], "ws-cpp's on_close(Abnormal)");
      await c.conn.next('gone');
      this.r.eq(c.conn.all('close').length, 1, 'on_close called once');
      this.r.eq(c.conn.all('send').filter((e) => e.get('op') === 'close').length, 0, 'ws-cpp sent no close frame');
    });

    await this.r.run('server/close: Sender::shutdown() closes every connection with 1001 and exits', async () => {
      const a = await this.open(peer, url + '/a');
      const b = await this.open(peer, url + '/b');
      await this.echo(b, 'b is open', 'second connection');
      await a.ch.send('!shutdown');
      for (const [name, c] of [['a', a], ['b', b]]) {
        const info = await c.ch.closed();
        this.r.eq(info.code, 1001, `connection ${name}: ws's close code after shutdown()`);
        const ev = await c.conn.next('close');
        this.r.eq(ev.get('code'), '1001', `connection ${name}: ws-cpp's on_close (ws's echo)`);
      }
      const status = await peer.waitExit();
      this.r.eq(status, 0, "ws_peer's exit status after shutdown()");
      this.r.eq(peer.events[peer.events.length - 1].raw, '- exit status=ok', "ws_peer's last line");
    });
  }

  // --- subprotocol ------------------------------------------------------------------------------

  async subprotocol() {
    const [peer, url] = await this.start(['--protocol', 'chat.v2', '--protocol', 'superchat'], 'server-proto');
    const offer = async (offered, expected) => {
      const c = await this.open(peer, url + '/proto', offered);
      const req = await c.conn.next('request');
      this.r.eq(req.get('protocols'), offered && offered.length ? offered.map(hexs).join(',') : '-',
                'protocols on_request saw, in order');
      this.r.eq(c.ws.protocol, expected || '', "ws's negotiated subprotocol (ws.protocol)");
      this.r.eq(c.res.headers['sec-websocket-protocol'], expected || undefined, 'Sec-WebSocket-Protocol in the response');
      const opened = await c.conn.next('open');
      this.r.eq(opened.get('protocol'), expected ? hexs(expected) : '-', 'Handshake response protocol');
      await this.echo(c, `with protocol ${expected}`, 'message');
      await this.closeNormally(c);
    };
    await this.r.run('server/subprotocol: offers chat.v1, chat.v2 -> chat.v2', () => offer(['chat.v1', 'chat.v2'], 'chat.v2'));
    await this.r.run("server/subprotocol: offers superchat, chat.v2 -> superchat (client's order)",
                     () => offer(['superchat', 'chat.v2'], 'superchat'));
    await this.r.run('server/subprotocol: offers only unknown ones -> none (ws then refuses the connection)', async () => {
      // ws-cpp answers 101 without Sec-WebSocket-Protocol, as RFC 6455 4.2.2 says when it supports
      // none of the offers. ws, by its own policy (stricter than RFC 6455 4.1, which lets the client
      // decide), fails a connection whose response names no subprotocol after it offered some.
      let failure = null;
      try {
        const c = await connect(url + '/proto-none', ['nope', 'chat.v9']);
        c.ws.terminate();
      } catch (err) {
        failure = err;
      }
      this.r.check(failure !== null, 'ws refused the connection');
      this.r.eq(failure.cause && failure.cause.message, 'Server sent no subprotocol', "ws's reason");
      this.r.eq(failure.res && failure.res.statusCode, 101, "ws-cpp's status");
      this.r.eq(failure.res.headers['sec-websocket-protocol'], undefined, 'no Sec-WebSocket-Protocol in the response');
      const [, req] = await peer.waitFor((e) => e.name === 'request' && e.get('resource') === hexs('/proto-none'),
                                         'request for /proto-none');
      this.r.eq(req.get('protocols'), ['nope', 'chat.v9'].map(hexs).join(','), 'protocols on_request saw, in order');
      const conn = new C.Conn(peer, req.tag);
      const opened = await conn.next('open');
      this.r.eq(opened.get('protocol'), '-', 'Handshake response protocol');
      const ev = await conn.next('close');
      this.r.eq(ev.get('code'), '1006', "ws-cpp's on_close when ws dropped the connection");
      await conn.next('gone');
    });
    await this.r.run('server/subprotocol: offers none -> none', () => offer(undefined, null));
    await peer.stop();
  }

  // --- ipv6 -------------------------------------------------------------------------------------

  async ipv6() {
    await this.r.run('server/ipv6: text, 1 MiB, ping, close over [::1]', async () => {
      const c = await this.open(this.peer, this.url + '/v6');
      this.r.eq(c.res.socket.remoteAddress, '::1', 'ws connected to');
      const opened = await c.conn.next('open');
      this.r.eq(opened.get('peer'), `[::1]:${c.port}`, 'Handshake peer_addr');
      this.r.eq(opened.get('local'), `[::1]:${c.remotePort}`, 'Handshake local_addr');
      await this.echo(c, 'over IPv6 \u2713', 'text');
      await this.echo(c, genBinary(MIB), '1 MiB binary');
      await c.ch.ping(Buffer.from('v6'));
      this.r.eq(hexs(await c.ch.nextPong()), hexs('v6'), 'pong over IPv6');
      c.ws.close(4006, 'v6 bye');
      const info = await c.ch.closed();
      const ev = await c.conn.next('close');
      this.r.eq([ev.get('code'), ev.get('reason')], ['4006', hexs('v6 bye')], "ws-cpp's on_close");
      this.r.eq(info.code, 4006, "ws's close code");
    });
  }
}

async function runGroup(exe, group, state) {
  const runner = new C.Runner(`ws-cpp server <- Node.js ws ${version} client: ${group}`);
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
  const tests = new ServerTests(runner, exe, host);
  try {
    try {
      [tests.peer, tests.url] = await tests.start();
    } catch (err) {
      runner.fail('start ws_peer server', err.message);
      for (const peer of runner.peers) peer.dump();
      return runner.summary();
    }
    await tests[group]();
  } finally {
    await runner.stopAll();
  }
  // Every ws_peer must have run without reporting an error.
  for (const peer of runner.peers) {
    const errors = peer.errors();
    if (errors.length) runner.fail(`no errors reported by ws_peer [${peer.label}]`, errors.slice(0, 5).join('; '));
  }
  return runner.summary();
}

C.main(runGroup, GROUPS);
