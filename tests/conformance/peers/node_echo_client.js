// Reference peer: Node.js `ws` (tests/peers/node_modules/ws) as a client of the Autobahn
// case-runner protocol (the suite's fuzzing server).
//
//   node node_echo_client.js BASE_URL AGENT
'use strict';
const path = require('path');
const WebSocket = require(path.join(__dirname, '..', '..', 'peers', 'node_modules', 'ws'));

const [base, agent] = process.argv.slice(2);
const options = { maxPayload: 64 << 20, maxFragments: 1 << 20, maxBufferedChunks: 1 << 22, handshakeTimeout: 10000 };

function open(url, onMessage) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, options);
    ws.on('message', (data, isBinary) => onMessage(ws, data, isBinary));
    ws.on('error', () => {});  // the suite grades what happened on the wire
    ws.on('close', () => resolve());
  });
}

(async () => {
  let count = 0;
  await open(`${base}/getCaseCount`, (ws, data) => { count = Number(data.toString()); });
  console.log(`${count} cases`);
  for (let n = 1; n <= count; n++) {
    await open(`${base}/runCase?case=${n}&agent=${agent}`, (ws, data, isBinary) => ws.send(data, { binary: isBinary }));
  }
  await open(`${base}/updateReports?agent=${agent}`, () => {});
})();
