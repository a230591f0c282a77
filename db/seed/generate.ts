// Writes the seed migration from maintained data: `npm run db:seed-sql`.
import { writeFileSync } from 'node:fs';
import { seedSql } from './sql.ts';

const out = new URL('../migrations/0001_seed.sql', import.meta.url);
writeFileSync(out, seedSql());
console.log(`wrote ${out.pathname}`);
