# Items-route filters on a 1M-row partition (issues 14+15): a filter on a column vs json_extract
# on a small per-row features object vs json_extract on the stored record (SQLite via Python's
# sqlite3: node 20 here has no node:sqlite). Run: python3 scripts/bench/filters.py
import json, os, sqlite3, time
N = int(os.environ.get('N', 1_000_000))
db = sqlite3.connect(':memory:')
db.executescript('''CREATE TABLE items (slice_id TEXT, slice_created_at TEXT, item_id TEXT, policy TEXT, surface TEXT,
  language TEXT, record TEXT, features TEXT, f_tier TEXT);
  CREATE UNIQUE INDEX items_order ON items (slice_created_at, slice_id, item_id);''')
tiers = ['new', 'established', 'verified', 'pro']
def row(k):
    tier = 'rare' if k % 50 == 0 else tiers[k % 4]
    rec = {'d': {'outcome': 'TP', 'primary': None, 'secondary': []}, 't': 0.5, 'i': {'item_id': f'it{k}', 'policy': 'hate',
           'surface': 'short', 'language': 'pt-BR', 'prediction': {'score': (k % 100) / 100},
           'label': {'violating': True, 'source': 'vendor', 'evidence': ['a', 'b']},
           'attributes': {'creator_tier': tier, 'live': k % 3 == 0, 'followers': k % 7}, 'note': 'x' * 120}}
    feats = {'policy': 'hate', 'surface': 'short', 'language': 'pt', 'label_source': 'vendor', 'score_band': '[0.4,0.6)',
             'evidence': 'a+b', 'attr.creator_tier': tier, 'attr.followers': str(k % 7), 'attr.live': str(k % 3 == 0).lower()}
    s = k // 10000
    return (f's{s}', f'2026-01-01T{s:04d}', f'it{k:08d}', 'hate', 'short', 'pt-BR', json.dumps(rec), json.dumps(feats), tier)
db.executemany('INSERT INTO items VALUES (?,?,?,?,?,?,?,?,?)', (row(k) for k in range(N)))
db.commit()
print(N, 'rows; avg chars record/features:', db.execute('SELECT avg(length(record)), avg(length(features)) FROM items').fetchone())
def t(label, sql, *p):
    db.execute(sql, p).fetchall()
    t0 = time.perf_counter()
    for _ in range(5): out = db.execute(sql, p).fetchall()
    print(f'| {label} | {(time.perf_counter() - t0) / 5 * 1000:.0f} ms | {out[0] if out else None} |')
t('count, plain column', 'SELECT count(*) FROM items WHERE f_tier = ?', 'rare')
t('count, json_extract(features)', '''SELECT count(*) FROM items WHERE json_extract(features, '$."attr.creator_tier"') = ?''', 'rare')
t('count, json_extract(record)', "SELECT count(*) FROM items WHERE json_extract(record, '$.i.attributes.creator_tier') = ?", 'rare')
t('first page (101), 2% match, features', '''SELECT item_id FROM items WHERE json_extract(features, '$."attr.creator_tier"') = ? ORDER BY slice_created_at, slice_id, item_id LIMIT 101''', 'rare')
t('first page (101), 2% match, record', "SELECT item_id FROM items WHERE json_extract(record, '$.i.attributes.creator_tier') = ? ORDER BY slice_created_at, slice_id, item_id LIMIT 101", 'rare')
t('first page (101), no match, features', '''SELECT item_id FROM items WHERE json_extract(features, '$."attr.creator_tier"') = ? ORDER BY slice_created_at, slice_id, item_id LIMIT 101''', 'none')
