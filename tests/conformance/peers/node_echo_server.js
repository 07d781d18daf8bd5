// Reference peer: Node.js `ws` (tests/peers/node_modules/ws) as an echo server.
//
//   node node_echo_server.js PORT
//
// Limits raised for the suite's 16 MiB messages and 65536-fragment messages (ws 8.23 refuses more
// than 16384 fragments with 1008 by default: a policy limit, like maxPayload); everything else is
// ws's default behaviour.
'use strict';
const path = require('path');
const WebSocket = require(path.join(__dirname, '..', '..', 'peers', 'node_modules', 'ws'));

const port = Number(process.argv[2]);
const wss = new WebSocket.WebSocketServer({ host: '127.0.0.1', port, maxPayload: 64 << 20, maxFragments: 1 << 20, maxBufferedChunks: 1 << 22 });
wss.on('listening', () => {
  console.log(`ws ${require(path.join(__dirname, '..', '..', 'peers', 'node_modules', 'ws', 'package.json')).version} echo server on 127.0.0.1:${port}`);
});
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});  // protocol errors: ws fails the connection itself
});
process.on('SIGTERM', () => process.exit(0));
