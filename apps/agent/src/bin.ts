#!/usr/bin/env node
/** @module bin — the `hostwire-agent` executable. */
import v8 from 'node:v8';

// Lite mode (no optimizing compiler, lazy feedback vectors) cuts the agent's resident memory by
// ~15 MB (72 → 57 MB in bench/agent-footprint.mjs) at no measurable CPU cost: the agent's work is
// syscalls and small parses, not hot loops. It must be set before the program's modules are compiled,
// hence the dynamic import below. Only for `run`: lite mode implies --jitless, which aborts the process
// on any WebAssembly compile, and Node's fetch (undici, used by `enroll`) compiles its HTTP parser to wasm.
// The executable turns JavaScriptCore's JIT off instead (withoutJit, below).
if (process.argv[2] === 'run' && process.versions.bun === undefined) v8.setFlagsFromString('--lite-mode');
if (process.argv[2] === 'run' && process.versions.bun !== undefined) withoutJit();

/**
 * The executable's counterpart of lite mode: JavaScriptCore without its JIT tiers (the LLInt interpreter)
 * saves ≈ 6 MB of resident memory (bench/agent-footprint.mjs) for a fraction of a percent of CPU.
 * JSC reads its options from `BUN_JSC_*` variables only at start, so `run` re-executes itself once in
 * place (execve: same pid, so systemd and `status` see no change) with `BUN_JSC_useJIT=0`. Set
 * `BUN_JSC_useJIT=1` in the environment to keep the JIT. The variable is then removed again, so the
 * actions the agent runs do not inherit it.
 */
function withoutJit(): void {
  const env = process.env;
  if (env.BUN_JSC_useJIT !== undefined) {
    if (env.HOSTWIRE_AGENT_NO_JIT === '1') {
      delete env.BUN_JSC_useJIT;
      delete env.HOSTWIRE_AGENT_NO_JIT;
    }
    return;
  }
  const execve = (process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never })
    .execve;
  if (typeof execve !== 'function') return;
  try {
    execve(process.execPath, [process.execPath, ...process.argv.slice(2)], {
      ...env,
      BUN_JSC_useJIT: '0',
      HOSTWIRE_AGENT_NO_JIT: '1',
    });
  } catch {
    // Not re-executable (a deleted or replaced file): run on with the JIT.
  }
}
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
