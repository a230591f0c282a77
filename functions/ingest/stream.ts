// Streamed ingest of a large NDJSON slice of known length, in ONE pass within the request:
// each line is validated, diagnosed and packed into item parts that go to D1 while the body
// is still arriving; the commit (one batch) publishes it, and the answer is 201 as for a small
// slice. Nothing is held whole: the body streams, parts are written as they fill.
//
// The claim comes first, before the content hash is known (the hash is set at the commit). A
// validation error (or any failure) deletes the parts written and the slice row, so nothing of
// the slice stays stored and its slice_id is free again. If the slice_id is already taken
// (done, in progress, or failed), the body goes the hashed way instead — R2 and the queue
// (submit.ts submitAsync), whose claim compares content hashes — with the bytes read so far.
import type { Bindings } from '../env.ts';
import { ApiError, badRequest } from '../lib/errors.ts';
import { toHex } from '../lib/crypto.ts';
import { drainChunks } from '../lib/drain.ts';
import { chunkReader, readFirstLine, readLineBatches, resumeBody, type ChunkReader } from './lines.ts';
import { ItemValidator, parseJsonLine, validateHeader } from './validate.ts';
import { claimUnhashed, releaseUnhashed, renewLease } from './claim.ts';
import { publishSlice, type OnPublished } from './publish.ts';
import type { SliceProcessor } from './processor.ts';
import type { SliceSummaryBody } from '../store/slices.ts';
import { bucketCount } from '../store/items/writer.ts';
import type { FeatureDims } from '../../gpu-backend/client/index.ts';
import type { EvalItem } from '../../taxonomy/types.ts';

export async function submitStreamed<R>(
  env: Bindings, region: string, body: ReadableStream<Uint8Array>, length: number,
  lim: { maxBytes: number; streamLeaseMs: number; dims: FeatureDims; onPublished?: OnPublished },
  hashed: (source: ChunkReader) => Promise<R>,
): Promise<R | { status: 201; body: SliceSummaryBody }> {
  const { maxBytes, streamLeaseMs } = lim;
  // The claim is renewed three times per lease while the body flows (see STREAM_LEASE_MS).
  const renewMs = streamLeaseMs / 3;
  const reader = chunkReader(body);
  // Every failure reads the rest of the body before its answer (lib/drain.ts).
  const drain = () => drainChunks(reader, reader.cancel);
  let first;
  let header;
  try {
    first = await readFirstLine(reader);
    if (first.line === null) throw badRequest('line 1: expected the slice header {slice_id, model}', { line: 1, field: 'slice_id' });
    header = validateHeader(parseJsonLine(first.line, first.no), first.no);
  } catch (e) {
    await drain();
    throw e;
  }
  const claim = await claimUnhashed(env.DB, { region, header, buckets: bucketCount(length), streamLeaseMs });
  if (!claim) return hashed(resumeBody(first.chunks, reader));

  const { pk, owner } = claim;
  const digest = new crypto.DigestStream('SHA-256');
  const digestWriter = digest.getWriter();
  let total = 0;
  // Each line validated, diagnosed and stored as the body streams; the claim renewed meanwhile.
  const feed = async (proc: SliceProcessor) => {
    const v = new ItemValidator(lim.dims);
    let renewAt = Date.now() + renewMs;
    let isHeader = true;
    for await (const batch of readLineBatches(resumeBody(first.chunks, reader), async (chunk) => {
      total += chunk.byteLength;
      if (total > maxBytes) throw new ApiError(413, 'payload_too_large', `body: larger than ${maxBytes} bytes`, { field: 'body' });
      await digestWriter.write(chunk);
    })) {
      for (const line of batch) {
        if (isHeader) { isHeader = false; continue; } // validated above
        const item: EvalItem = v.accept(parseJsonLine(line.text, line.no), { line: line.no });
        const writing = proc.add(item, line.text);
        if (writing) await writing; // only when a batch of parts goes to D1
      }
      if (Date.now() > renewAt) {
        if (!(await renewLease(env.DB, pk, owner))) {
          throw new ApiError(409, 'conflict', `slice_id: another submission took '${header.slice_id}' over while this body stalled for more than ${streamLeaseMs / 1000} s`, { field: 'slice_id' });
        }
        renewAt = Date.now() + renewMs;
      }
    }
  };
  try {
    const published = await publishSlice(env, { ...claim, region, sliceId: header.slice_id, model: header.model }, feed, {
      contentHash: async () => { await digestWriter.close(); return toHex(await digest.digest); },
      onPublished: lim.onPublished,
    });
    return { status: 201, body: published! };
  } catch (e) {
    await drain();
    await releaseUnhashed(env.DB, pk, owner).catch((err) => console.error(`slice ${pk}: could not undo a failed streamed submission: ${(err as Error).message}`));
    throw e;
  }
}
