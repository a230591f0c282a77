import { defineConfig } from 'drizzle-kit';

// drizzle-kit 0.31 writes flat NNNN_name.sql files, which `wrangler d1 migrations` reads.
export default defineConfig({
  dialect: 'sqlite',
  schema: './db/schema.ts',
  out: './db/migrations',
});
