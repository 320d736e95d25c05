#!/usr/bin/env node
/** @module bin — the `hostwire-agent` executable. */
import v8 from 'node:v8';

const RUNTIME_DEFAULTS = { BUN_JSC_useJIT: '0', BUN_GC_TIMER_INTERVAL: '10000' };

// Lite mode (no optimizing compiler, lazy feedback vectors) cuts the agent's resident memory by
// ~15 MB (72 → 57 MB in bench/agent-footprint.mjs) at no measurable CPU cost: the agent's work is
// syscalls and small parses, not hot loops. It must be set before the program's modules are compiled,
// hence the dynamic import below. Only for `run`: lite mode implies --jitless, which aborts the process
// on any WebAssembly compile, and Node's fetch (undici, used by `enroll`) compiles its HTTP parser to wasm.
// The executable turns JavaScriptCore's JIT off instead (withRuntimeDefaults, below).
if (process.argv[2] === 'run' && process.versions.bun === undefined) v8.setFlagsFromString('--lite-mode');
if (process.argv[2] === 'run' && process.versions.bun !== undefined) withRuntimeDefaults();

/**
 * The executable's counterpart of lite mode, read by the runtime only at start (bench/agent-footprint.mjs):
 * - `BUN_JSC_useJIT=0`: JavaScriptCore without its JIT tiers (the LLInt interpreter) saves ≈ 6 MB of
 *   resident memory for a fraction of a percent of CPU.
 * - `BUN_GC_TIMER_INTERVAL=10000`: Bun's idle collector looks at the heap every 10 s instead of every
 *   second. A sample allocates every interval, so at 1 s the heap never looks idle and a collection ran
 *   each second: 0.37 % → 0.18 % of a core at the 10 s interval, same RSS. JSC's own allocation-paced
 *   collector is unchanged.
 * So `run` re-executes itself once in place (execve: same pid, so systemd and `status` see no change)
 * with whichever of them the environment does not set (`BUN_JSC_useJIT=1` keeps the JIT). The ones it
 * added are removed again afterwards, so the actions the agent runs do not inherit them.
 */
function withRuntimeDefaults(): void {
  const env = process.env;
  const added = env.HOSTWIRE_AGENT_RUNTIME_DEFAULTS;
  if (added !== undefined) {
    // Only ours: the list comes from the environment, which must not make the agent drop anything else.
    for (const name of added.split(',')) if (Object.hasOwn(RUNTIME_DEFAULTS, name)) delete env[name];
    delete env.HOSTWIRE_AGENT_RUNTIME_DEFAULTS;
    return;
  }
  const missing = Object.entries(RUNTIME_DEFAULTS).filter(([name]) => env[name] === undefined);
  if (missing.length === 0) return;
  const execve = (process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never })
    .execve;
  if (typeof execve !== 'function') return;
  try {
    execve(process.execPath, [process.execPath, ...process.argv.slice(2)], {
      ...env,
      ...Object.fromEntries(missing),
      HOSTWIRE_AGENT_RUNTIME_DEFAULTS: missing.map(([name]) => name).join(','),
    });
  } catch {
    // Not re-executable (a deleted or replaced file): run on with the runtime's own defaults.
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
