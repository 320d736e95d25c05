#!/usr/bin/env node
/** @module bin — entry point of the `hostwire-server` program. */
import { main } from './index.js';

main().catch((error: unknown) => {
  process.stderr.write(
    `hostwire-server: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
