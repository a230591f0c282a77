// Validates a slice line by line with the same zod schemas the OpenAPI document shows.
// Every message names the line and the field; the first error stops the slice.
import type { z } from '@hono/zod-openapi';
import { ApiError } from '../lib/errors.ts';
import { ItemSchema, SliceHeaderSchema, type SliceHeader } from '../schemas/item.ts';
import type { EvalItem } from '../../taxonomy/types.ts';

function fieldPath(path: readonly PropertyKey[], prefix: string): string {
  let s = prefix;
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : (s ? '.' : '') + String(p);
  return s || '(root)';
}

function invalid(where: string, field: string, message: string, line?: number): ApiError {
  return new ApiError(400, 'invalid_slice', `${where}${field}: ${message}`, { ...(line ? { line } : {}), field });
}

function firstIssue(err: z.ZodError, prefix: string, where: string, line?: number): ApiError {
  const issue = err.issues[0];
  const field = fieldPath(issue.path, prefix);
  let message = issue.message;
  // zod reports a missing required field as "expected X, received undefined": say "required".
  if (issue.code === 'invalid_type' && /received undefined/.test(message)) message = 'required';
  return invalid(where, field, message, line);
}

export function parseJsonLine(text: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, 'malformed_json', `line ${line}: malformed JSON (${(e as Error).message})`, { line });
  }
}

export function validateHeader(value: unknown, line?: number): SliceHeader {
  const r = SliceHeaderSchema.safeParse(value);
  if (!r.success) throw firstIssue(r.error, '', line ? `line ${line}: ` : '', line);
  return r.data;
}

/** Tracks what a slice must hold across lines: unique item ids. */
export class ItemValidator {
  private readonly ids = new Set<string>();
  count = 0;

  /** `where` prefixes messages: NDJSON says the line, JSON the items[i] path. */
  accept(value: unknown, opts: { line?: number; prefix?: string }): EvalItem {
    const where = opts.line ? `line ${opts.line}: ` : '';
    const prefix = opts.prefix ?? '';
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw invalid(where, prefix || '(item)', 'expected an object', opts.line);
    }
    const r = ItemSchema.safeParse(value);
    if (!r.success) throw firstIssue(r.error, prefix, where, opts.line);
    const item = r.data as EvalItem;
    if (this.ids.has(item.item_id)) {
      throw invalid(where, fieldPath(['item_id'], prefix), `duplicate item_id '${item.item_id}'`, opts.line);
    }
    this.ids.add(item.item_id);
    this.count++;
    return item;
  }
}
