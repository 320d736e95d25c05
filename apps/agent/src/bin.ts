#!/usr/bin/env node
/** @module bin — the `hostwire-agent` executable. */
import v8 from 'node:v8';

// Lite mode (no optimizing compiler, lazy feedback vectors) cuts the agent's resident memory by
// ~15 MB (72 → 57 MB in bench/agent-footprint.mjs) at no measurable CPU cost: the agent's work is
// syscalls and small parses, not hot loops. It must be set before the program's modules are compiled,
// hence the dynamic import below. Only for `run`: lite mode implies --jitless, which aborts the process
// on any WebAssembly compile, and Node's fetch (undici, used by `enroll`) compiles its HTTP parser to wasm.
// The executable (Bun, JavaScriptCore) has no such flag and needs none.
if (process.argv[2] === 'run' && process.versions.bun === undefined) v8.setFlagsFromString('--lite-mode');
const { main } = await import('./cli/program.js');

// `hostwire-agent --help | head` closes the pipe early: that is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const code = await main(process.argv, {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
process.exitCode = code;
// Everything is closed by now; a straggling handle must not keep a stopped agent alive.
setTimeout(() => process.exit(code), 2000).unref();
