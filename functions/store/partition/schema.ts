// The item partition's SQLite schema and statements (item-partition.ts runs them; pure, so the
// capacity bench runs the same ones in node:sqlite).
import { familyOf } from '../../../taxonomy/signatures/registry.ts';
import type { CellFilter } from './rows.ts';

// Indexes: the listing order (unique: it is also the identity, created_at being fixed per
// slice), per policy (outcome last: a policy × outcome cell is read in order, its outcome checked
// in the index), per family and per primary code (partial: failures only, 10–35 % of items), per
// slice. Each holds the order columns after its equality columns, so a cell is read in order.
// cell_counts: the number of items per slice × policy × outcome × primary code, kept by triggers
// in the same transaction as the rows (so exact): a cell's total sums a few of these rows instead
// of counting its items (a count over 1M index entries costs tens of ms).
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS items (
  slice_id TEXT NOT NULL, slice_created_at TEXT NOT NULL, item_id TEXT NOT NULL,
  policy TEXT NOT NULL, outcome TEXT NOT NULL, primary_code TEXT, family TEXT, secondary TEXT NOT NULL,
  score REAL, threshold REAL NOT NULL, language TEXT, surface TEXT NOT NULL,
  record TEXT NOT NULL, ver INTEGER NOT NULL, features TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS items_order ON items (slice_created_at, slice_id, item_id);
CREATE INDEX IF NOT EXISTS items_policy ON items (policy, slice_created_at, slice_id, item_id, outcome);
CREATE INDEX IF NOT EXISTS items_family ON items (family, policy, slice_created_at, slice_id, item_id) WHERE family IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_primary ON items (primary_code, policy, slice_created_at, slice_id, item_id) WHERE primary_code IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_slice ON items (slice_id, slice_created_at, item_id);
CREATE TABLE IF NOT EXISTS cell_counts (
  slice_id TEXT NOT NULL, policy TEXT NOT NULL, outcome TEXT NOT NULL, primary_code TEXT NOT NULL, family TEXT NOT NULL,
  n INTEGER NOT NULL, PRIMARY KEY (slice_id, policy, outcome, primary_code)) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS items_counted AFTER INSERT ON items BEGIN
  ${countDelta('new', '+')}
END;
CREATE TRIGGER IF NOT EXISTS items_recounted AFTER UPDATE OF policy, outcome, primary_code ON items BEGIN
  ${countDelta('old', '-')}
  ${countDelta('new', '+')}
END;`;

/** Trigger statements moving cell_counts by one for the `row` (new/old) of items. */
function countDelta(row: 'new' | 'old', sign: '+' | '-'): string {
  const key = `${row}.slice_id, ${row}.policy, ${row}.outcome, coalesce(${row}.primary_code, '')`;
  const at = `(slice_id, policy, outcome, primary_code) = (${key})`;
  // Not INSERT OR IGNORE: the upsert firing the trigger imposes its own conflict policy (abort).
  return `INSERT INTO cell_counts SELECT ${key}, coalesce(${row}.family, ''), 0 WHERE NOT EXISTS (SELECT 1 FROM cell_counts WHERE ${at});
  UPDATE cell_counts SET n = n ${sign} 1 WHERE ${at};`;
}

export const COLUMNS = ['slice_id', 'slice_created_at', 'item_id', 'policy', 'outcome', 'primary_code', 'family', 'secondary',
  'score', 'threshold', 'language', 'surface', 'record', 'ver', 'features'] as const;

// \`features\` came after the first partitions: theirs get the column (null) when opened, and
// each row its value from its own record on the first filtered read (item-partition.ts).
export const ADD_FEATURES = 'ALTER TABLE items ADD COLUMN features TEXT';
export const UNFEATURED_INDEX = 'CREATE INDEX IF NOT EXISTS items_unfeatured ON items (item_id) WHERE features IS NULL';

// A row whose cell stays (policy, outcome, primary code and family as stored: what the indexes
// and cell_counts hold), at the same or a newer version: rewritten without its cell columns in
// the SET — SQLite rewrites the entries of every index whose columns are SET, equal or not, and
// the recount trigger fires on them (node:sqlite, a label-delivery mix: ~30 → ~17 µs per row).
// No row returned (a new item, a cell that changed, an older version): UPSERT decides.
export const IN_CELL_SET = ['secondary', 'score', 'threshold', 'language', 'surface', 'record', 'ver', 'features'] as const;
export const IN_CELL_KEY = ['slice_created_at', 'slice_id', 'item_id', 'ver', 'policy', 'outcome', 'primary_code', 'family'] as const;
export const UPDATE_IN_CELL = `UPDATE items SET ${IN_CELL_SET.map((c) => `${c} = ?`).join(', ')}
  WHERE slice_created_at = ? AND slice_id = ? AND item_id = ? AND ver <= ? AND policy = ? AND outcome = ? AND primary_code IS ? AND family IS ?
  RETURNING 1`;

// The same or a newer read wins; an older one leaves the row as it is.
export const UPSERT = `INSERT INTO items (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})
  ON CONFLICT (slice_created_at, slice_id, item_id) DO UPDATE SET
  ${COLUMNS.slice(3).map((c) => `${c} = excluded.${c}`).join(', ')} WHERE excluded.ver >= items.ver`;

export const LISTED = `slice_id, item_id, policy, outcome, primary_code AS "primary", secondary, score, threshold, language, surface,
  slice_created_at AS c`;

/** The WHERE terms and their parameters for a cell (a family matches its codes: familyOf of a
 *  family is itself, of a modal code the family, so `family = ?` holds for exactly those). */
export function cellWhere(f: CellFilter): { terms: string[]; params: (string | number)[] } {
  const terms: string[] = [];
  const params: (string | number)[] = [];
  if (f.policy !== undefined) { terms.push('policy = ?'); params.push(f.policy); }
  if (f.outcome !== undefined) { terms.push('outcome = ?'); params.push(f.outcome); }
  if (f.signature !== undefined) {
    terms.push(familyOf(f.signature) === f.signature ? 'family = ?' : 'primary_code = ?');
    params.push(f.signature);
  }
  if (f.slice_id !== undefined) { terms.push('slice_id = ?'); params.push(f.slice_id); }
  // Excluded ⇔ primary LBL.AMBIG (taxonomy/diagnose.ts); both columns are in cell_counts too.
  if (f.population === 'discovery') terms.push("outcome <> 'pending'", "primary_code IS NOT 'LBL.AMBIG'");
  // A feature the item lacks is absent from its object: json_extract gives null, never equal.
  // Keys are quoted in the path (attribute keys hold dots); the route refuses keys with '"'.
  for (const [name, value] of f.features ?? []) { terms.push('json_extract(features, ?) = ?'); params.push(`$."${name}"`, value); }
  return { terms, params };
}
