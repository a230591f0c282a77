import type { D1Migration } from 'cloudflare:test';
import type { Bindings } from '../../functions/env.ts';

declare global {
  namespace Cloudflare {
    interface Env extends Bindings {
      TEST_MIGRATIONS: D1Migration[];
      FUZZ_RUNS: string;
      FUZZ_SEED: string;
      /** The webhook receiver of global-setup.ts, and a URL nothing answers on. */
      TEST_RECEIVER_URL: string;
      TEST_DOWN_URL: string;
    }
  }
}
