// Early answers on body routes: read the rest of the request body before answering. A Worker
// that answers while the client is still sending lets workerd drop the connection, and the
// client sees "Network connection lost" (a 500 through wrangler dev) or a reset instead of the
// 4xx. Cancelling the body does the same; reading it to its end does not.

/** Beyond this many bytes an unread body is cancelled: reading more costs more than a lost answer. */
export const DRAIN_MAX_BYTES = 600_000_000;

/** Reads chunks from `next` until the body ends (or `max` bytes were read, then `cancel`). */
export async function drainChunks(
  next: () => Promise<Uint8Array | undefined>, cancel?: () => Promise<void>, max = DRAIN_MAX_BYTES,
): Promise<void> {
  let n = 0;
  try {
    for (let v = await next(); v !== undefined; v = await next()) {
      n += v.byteLength;
      if (n > max) { await cancel?.(); return; }
    }
  } catch { /* the client went away: nothing left to answer */ }
}

/** The same for a request body nobody has read yet. */
export async function drainBody(body: ReadableStream<Uint8Array> | null): Promise<void> {
  if (!body || body.locked) return;
  const r = body.getReader();
  await drainChunks(async () => (await r.read()).value, () => r.cancel());
}
