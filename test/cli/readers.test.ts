// The file readers and the column mapping, without a server.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { readEntries } from '../../cli/readers/index.js';
import { flatten, rowToItem } from '../../cli/mapping.js';

const dir = mkdtempSync(join(tmpdir(), 'avlm-readers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function read(name: string, text: string | Buffer) {
  const file = join(dir, name);
  writeFileSync(file, text);
  const out: any[] = [];
  for await (const e of readEntries(file)) out.push(e);
  return out;
}
const fails = async (name: string, text: string) => { try { await read(name, text); } catch (e) { return (e as Error).message; } return 'no error'; };

describe('column mapping', () => {
  it('coerces by path and leaves empty cells out', () => {
    expect(rowToItem({ item_id: '7', 'label.violating': 'no', 'prediction.score': ' 0.25 ', 'live.segment': '3', 'label.evidence': 'audio|text',
      'label.votes': '[{"annotator":"a","violating":true}]', 'probes.audio_only': '', 'attributes.creator_tier': 'gold' }, 'row 1')).toEqual({
      item_id: '7', label: { violating: false, evidence: ['audio', 'text'], votes: [{ annotator: 'a', violating: true }] },
      prediction: { score: 0.25 }, live: { segment: 3 }, attributes: { creator_tier: 'gold' },
    });
  });
  it('flattens struct values (Parquet structs), keeping JSON-typed paths whole', () => {
    expect(rowToItem(flatten({ label: { violating: true, votes: [{ annotator: 'a', violating: true }] }, live: { stream_id: 's', segment: 2 } }), 'row 1')).toEqual({
      label: { violating: true, votes: [{ annotator: 'a', violating: true }] }, live: { stream_id: 's', segment: 2 },
    });
  });
  it('names the row and column of a bad cell', () => {
    expect(() => rowToItem({ 'label.violating': 'maybe' }, 'row 9 (line 10)')).toThrow('row 9 (line 10), column label.violating: "maybe" is not a boolean');
    expect(() => rowToItem({ 'live.segment': '1.5' }, 'row 2')).toThrow('row 2, column live.segment: "1.5" is not an integer');
    expect(() => rowToItem({ 'label.votes': '[{' }, 'row 4')).toThrow(/^row 4, column label.votes: "\[\{" is not valid JSON/);
  });
});

describe('readers', () => {
  it('JSON: a root array or {slice_id, model, items}, element by element', async () => {
    expect(await read('a.json', '[{"item_id":"a","t":"}]\\""},\n {"item_id":"b","n":[1,{"x":"]"}]}]')).toEqual([
      { item: { item_id: 'a', t: '}]"' }, where: 'items[0]' }, { item: { item_id: 'b', n: [1, { x: ']' }] }, where: 'items[1]' }]);
    expect(await read('o.json', '{"slice_id":"s-1","model":{"id":"m","version":"1","stage":"sft"},"items":[{"item_id":"a"}]}')).toEqual([
      { header: { slice_id: 's-1', model: { id: 'm', version: '1', stage: 'sft' } } }, { item: { item_id: 'a' }, where: 'items[0]' }]);
    expect(await fails('bad.json', '[{"item_id":"a"}, 3]')).toBe('JSON: items[1] is not an object');
    expect(await fails('cut.json', '[{"item_id":"a"}, {"item')).toBe('JSON: unexpected end of file');
  });
  it('NDJSON: a header line is taken as the header; a bad line is named', async () => {
    expect(await read('h.ndjson', '{"slice_id":"s","model":{"id":"m","version":"1","stage":"sft"}}\n\n{"item_id":"a"}\n')).toEqual([
      { header: { slice_id: 's', model: { id: 'm', version: '1', stage: 'sft' } } }, { item: { item_id: 'a' }, where: 'line 3' }]);
    expect(await fails('b.jsonl', '{"item_id":"a"}\n{"item_id":\n')).toMatch(/^line 2: malformed JSON/);
  });
  it('Parquet: typed dotted columns, INT64 cells as numbers, nulls left out', async () => {
    const buf = parquetWriteBuffer({ columnData: [
      { name: 'item_id', data: ['a', 'b'], type: 'STRING' },
      { name: 'live.segment', data: [5n, null], type: 'INT64', nullable: true },
      { name: 'prediction.score', data: [0.5, 0.75], type: 'DOUBLE' },
    ] });
    expect(await read('p.parquet', Buffer.from(buf))).toEqual([
      { item: { item_id: 'a', live: { segment: 5 }, prediction: { score: 0.5 } }, where: 'row 1' },
      { item: { item_id: 'b', prediction: { score: 0.75 } }, where: 'row 2' }]);
  });
  it('CSV: a ragged row is named by csv-parse', async () => {
    expect(await fails('r.csv', 'item_id,policy\na,hate.slur\nb\n')).toMatch(/^CSV: .*line 3/);
    expect(await fails('d.csv', 'item_id,policy,item_id\na,hate.slur,b\n')).toBe('CSV: column item_id appears twice in the header');
  });
});
