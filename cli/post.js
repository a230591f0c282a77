// One streamed POST over node:http(s): the body comes from an async iterable with backpressure
// (fetch cannot send a stream with a content-length we set), and an answer the server sends
// before the body is complete (a 4xx for a bad line) is taken as the answer.
import http from 'node:http';
import https from 'node:https';
import { once } from 'node:events';
import { RetryableError } from './errors.js';

/**
 * @param {string} url @param {Record<string, string>} headers
 * @param {AsyncIterable<Buffer>} body @param {number | undefined} length  content-length, else chunked
 * @returns {Promise<{ status: number, text: string }>}
 */
export function postStream(url, headers, body, length) {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(u, { method: 'POST', headers: { ...headers, ...(length !== undefined ? { 'content-length': String(length) } : {}) } });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      const parts = /** @type {Buffer[]} */ ([]);
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }));
      res.on('error', (e) => reject(new RetryableError(`response: ${e.message}`)));
    });
    req.on('error', (e) => { if (!answered) reject(new RetryableError(`${e.message}`)); });
    (async () => {
      for await (const piece of body) {
        if (answered || req.destroyed) return;
        if (!req.write(piece)) await Promise.race([once(req, 'drain'), once(req, 'close')]);
      }
      req.end();
    })().catch((e) => { req.destroy(); reject(e); });
  });
}
