// node_ws_echo: a Node.js `ws` echo (or broadcast) server, a peer for bench/compare.sh.
//
//   node bench/peers/node_ws_echo.js PORT [--broadcast]
//
// Listens on 127.0.0.1:PORT (0 picks a free port) and prints "node_ws_echo listening on
// 127.0.0.1:PORT". Uses the `ws` package pinned in tests/peers (npm ci there first). Every
// message goes back with its own type, or with --broadcast to every open connection, the
// sender included. Messages up to 64 MiB, no permessage-deflate. Stop it with a signal.
//
// Third-party code under test, not part of ws-cpp.
'use strict';
const path = require('path');

const wsPath = path.join(__dirname, '..', '..', 'tests', 'peers', 'node_modules', 'ws');
const { WebSocketServer, WebSocket } = require(wsPath);
const wsVersion = require(path.join(wsPath, 'package.json')).version;

const args = process.argv.slice(2);
const broadcast = args.includes('--broadcast');
const positional = args.filter((a) => !a.startsWith('--'));
if (positional.length !== 1 || !/^\d+$/.test(positional[0])) {
  process.stderr.write('usage: node node_ws_echo.js PORT [--broadcast]\n');
  process.exit(2);
}

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: Number(positional[0]),
  backlog: 4096,
  maxPayload: 64 * 1024 * 1024,
  perMessageDeflate: false,
  clientTracking: broadcast,
});

wss.on('connection', (ws) => {
  ws.on('error', () => {});
  if (broadcast) {
    ws.on('message', (data, isBinary) => {
      for (const client of wss.clients) {
        if (client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
      }
    });
  } else {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  }
});

wss.on('listening', () => {
  const { port } = wss.address();
  process.stdout.write(`node_ws_echo listening on 127.0.0.1:${port} (ws ${wsVersion}, Node ${process.version}, ` +
                       `${broadcast ? 'broadcast' : 'echo'})\n`);
});

wss.on('error', (err) => {
  process.stderr.write(`node_ws_echo: ${err.message}\n`);
  process.exit(1);
});

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
