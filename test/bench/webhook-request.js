'use strict';
/**
 * autocannon `setupRequest` module (loaded by autocannon inside its worker thread, hence plain JavaScript):
 * each request takes the next pre-signed delivery of the file named by BENCH_WEBHOOK_DELIVERIES, so no two
 * requests of a run carry the same body, whichever connection sends them. The file holds
 * `[{ body, signature }]`; each autocannon run starts a fresh worker, and so a fresh counter.
 */
const { readFileSync } = require('node:fs');

const deliveries = JSON.parse(readFileSync(process.env.BENCH_WEBHOOK_DELIVERIES, 'utf8'));
let next = 0;

module.exports = function setupRequest(request) {
  // autocannon builds each connection's next request ahead of sending it: the file holds spares for those.
  const delivery = deliveries[next++ % deliveries.length];
  return {
    ...request,
    method: 'POST',
    path: '/webhooks/meta',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': delivery.signature },
    body: delivery.body,
  };
};
