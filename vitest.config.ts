import { defineConfig } from 'vitest/config';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';

// Projects: pure taxonomy (and the layering rules of functions/), the GPU backend, the pages'
// browser and real-HTTP tests and the CLI run in Node; the Worker runs inside workerd via
// miniflare with real D1, R2 and Queues.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'taxonomy',
          include: ['test/taxonomy/**/*.test.ts', 'test/architecture/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'gpu-backend',
          include: ['test/gpu-backend/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'pages',
          include: ['test/pages/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'cli',
          include: ['test/cli/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
      {
        plugins: [
          cloudflareTest(async ({ inject }) => ({
            main: './functions/index.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              compatibilityFlags: ['service_binding_extra_handlers', 'nodejs_compat'],
              bindings: {
                ADMIN_TOKEN: 'test-admin-token',
                TEST_MIGRATIONS: await readD1Migrations('./db/migrations'),
                ASYNC_INGEST_BYTES: '200000',
                STREAM_INGEST_BYTES: '2000000',
                STREAM_LEASE_SECONDS: '2',
                INFERENCE_URL: inject('inferenceUrl'),
                INFERENCE_TIMEOUT_MS: '3000',
                PROBE_RETRY_SECONDS: '0',
                INFERENCE_RETRIES: '0',
                // Small enough for webhooks-limits.test.ts to reach it with two deliveries.
                MAX_PARKED_PER_VENDOR: '1500',
                // Item partitions follow a commit at once here (wrangler.toml delays it 5 s).
                PARTITION_SYNC_DELAY_SECONDS: '0',
                // The fuzz suite's run count and seed (test/worker/fuzz.test.ts).
                FUZZ_RUNS: process.env.FUZZ_RUNS ?? '',
                FUZZ_SEED: process.env.FUZZ_SEED ?? '',
                // Webhook deliveries (test/worker/notify): retries at once, a dead letter after 4 attempts.
                NOTIFY_TIMEOUT_MS: '1000',
                NOTIFY_RETRY_BASE_SECONDS: '0',
                NOTIFY_MAX_ATTEMPTS: '4',
                PUBLIC_URL: 'https://avlm.example',
                TEST_RECEIVER_URL: inject('receiverUrl'),
                TEST_DOWN_URL: inject('downUrl'),
              },
              queueConsumers: { 'avlm-diag-ingest': { maxBatchTimeout: 0.05, maxBatchSize: 1, maxRetries: 5, deadLetterQueue: 'avlm-diag-ingest-dlq' },
                'avlm-diag-notify': { maxBatchTimeout: 0.05, maxBatchSize: 10, maxRetries: 100 },
                'avlm-diag-partition': { maxBatchTimeout: 0.05, maxBatchSize: 100, maxRetries: 10 } },
            },
          })),
        ],
        test: {
          name: 'worker',
          include: ['test/worker/**/*.test.ts'],
          setupFiles: ['./test/worker/apply-migrations.ts'],
          globalSetup: ['./test/worker/global-setup.ts'],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
