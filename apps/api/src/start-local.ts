#!/usr/bin/env node
/** @module start-local — what `npm start` runs: the server plus an agent for this machine (LOCAL_AGENT=true). */
import { main } from './index.js';

main({ LOCAL_AGENT: 'true' }).catch((error: unknown) => {
  process.stderr.write(
    `hostwire-server: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
