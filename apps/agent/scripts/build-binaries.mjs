#!/usr/bin/env node
// Compiles the agent into one executable per Linux architecture with `bun build --compile`, using the
// Bun runtimes installed from the npm registry as optional dependencies (@oven/bun-linux-x64,
// @oven/bun-linux-aarch64): no download happens here. Writes apps/agent/dist-bin/:
//   hostwire-agent-linux-<x64|arm64>   for each architecture whose Bun package is installed
//   SHA256SUMS                          `<sha256>  <file>` lines, as sha256sum -c reads them
//   VERSION                             the agent version compiled in
// The host's architecture is required; the other one is built only when its package is present
// (npm installs just the host's; `npm install --no-save --force @oven/bun-linux-aarch64@1.4.5` adds the
// other without touching package.json or the lockfile).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const agentDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(agentDir, 'dist-bin');
const require = createRequire(path.join(agentDir, 'package.json'));
const { version } = JSON.parse(readFileSync(path.join(agentDir, 'package.json'), 'utf8'));

const TARGETS = [
  { arch: 'x64', pkg: '@oven/bun-linux-x64', target: 'bun-linux-x64' },
  { arch: 'arm64', pkg: '@oven/bun-linux-aarch64', target: 'bun-linux-arm64' },
];

function bunOf(pkg) {
  try {
    const file = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'bin', 'bun');
    return existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

const hostTarget = TARGETS.find((t) => t.arch === process.arch);
const hostBun = hostTarget && bunOf(hostTarget.pkg);
if (!hostBun) {
  console.error(
    `build-binaries: no Bun runtime for this machine (${process.platform}-${process.arch}). Run npm install (it installs ${hostTarget?.pkg ?? '@oven/bun-linux-<arch>'}).`,
  );
  process.exit(process.platform === 'linux' && hostTarget ? 1 : 0);
}

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const sums = [];
for (const { arch, pkg, target } of TARGETS) {
  const runtime = bunOf(pkg);
  if (!runtime) {
    console.log(`build-binaries: ${pkg} not installed, skipping linux-${arch}`);
    continue;
  }
  const name = `hostwire-agent-linux-${arch}`;
  const outfile = path.join(outDir, name);
  execFileSync(
    hostBun,
    [
      'build',
      'src/bin.ts',
      '--compile',
      '--minify',
      `--target=${target}`,
      `--compile-executable-path=${runtime}`,
      '--no-compile-autoload-dotenv',
      '--no-compile-autoload-bunfig',
      `--define=HOSTWIRE_AGENT_VERSION=${JSON.stringify(version)}`,
      // Only loaded under Node.js (the WebSocket client and the previous release's SQLite reader).
      '--external=ws',
      '--external=better-sqlite3',
      `--outfile=${outfile}`,
    ],
    {
      cwd: agentDir,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, BUN_INSTALL_CACHE_DIR: path.join(outDir, '.cache') },
    },
  );
  rmSync(path.join(outDir, '.cache'), { recursive: true, force: true });
  const digest = createHash('sha256').update(readFileSync(outfile)).digest('hex');
  sums.push(`${digest}  ${name}`);
  console.log(
    `build-binaries: ${path.relative(process.cwd(), outfile)} (${(readFileSync(outfile).length / 1e6).toFixed(1)} MB)`,
  );
}
writeFileSync(path.join(outDir, 'SHA256SUMS'), `${sums.join('\n')}\n`);
writeFileSync(path.join(outDir, 'VERSION'), `${version}\n`);
