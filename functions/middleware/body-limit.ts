// A size cap for small JSON bodies (admin routes, intervention records and overrides): 413 in
// the JSON error shape. Hono's bodyLimit refuses a declared content-length over the cap before
// reading, and counts a body of unknown length (chunked) while reading it, stopping at the cap.
import { bodyLimit } from 'hono/body-limit';
import { ApiError } from '../lib/errors.ts';

/** The largest legitimate body (a record with 300 regions, 50 signatures and a 2,000-character
 *  note) is under 16 KiB. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

export const jsonBodyLimit = bodyLimit({
  maxSize: MAX_JSON_BODY_BYTES,
  onError: () => { throw new ApiError(413, 'payload_too_large', `body: larger than ${MAX_JSON_BODY_BYTES} bytes`, { field: 'body' }); },
});
