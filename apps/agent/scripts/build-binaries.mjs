#!/usr/bin/env node
// Compiles the agent into one executable per Linux architecture with `bun build --compile`, using the
// Bun runtimes installed from the npm registry as optional dependencies (@oven/bun-linux-x64,
// @oven/bun-linux-aarch64): no download happens here. Writes apps/agent/dist-bin/:
//   hostwire-agent-linux-<x64|arm64>   for each architecture whose Bun package is installed
//   SHA256SUMS                          `<sha256>  <file>` lines, as sha256sum -c reads them
//   SHA256SUMS.sig                      the raw 64-byte Ed25519 signature of SHA256SUMS by the release key
//   release-key.pub                     the release key's public half (SPKI PEM), what agents pin
//   VERSION                             the agent version compiled in
// The release key is RELEASE_SIGNING_KEY (an Ed25519 PKCS#8 PEM file), never one of the server's keys.
// Unset, the key is .release-key.pem at the repository root (gitignored), generated on the first build:
// keep it, agents refuse updates signed by any other. A RELEASE_SIGNING_KEY file holding only a public
// key (a server that builds from source but keeps the private key elsewhere) leaves SHA256SUMS unsigned.
// The host's architecture is required; the other one is built only when its package is present
// (npm installs just the host's; `npm install --no-save --force @oven/bun-linux-aarch64@1.4.5` adds the
// other without touching package.json or the lockfile).
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const agentDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(agentDir, '../..');
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
const sumsText = `${sums.join('\n')}\n`;
writeFileSync(path.join(outDir, 'SHA256SUMS'), sumsText);
writeFileSync(path.join(outDir, 'VERSION'), `${version}\n`);
signRelease(sumsText);

/**
 * The release key: RELEASE_SIGNING_KEY, else .release-key.pem at the repository root, generated (0600)
 * when missing. Returns the private key, or only the public one when the file holds no private key.
 */
function releaseKey() {
  const configured = process.env.RELEASE_SIGNING_KEY;
  const file = configured ? path.resolve(configured) : path.join(repoRoot, '.release-key.pem');
  if (!configured && !existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    console.log(
      `build-binaries: RELEASE_SIGNING_KEY is unset: generated the release key ${path.relative(process.cwd(), file) || file} (keep it: agents pin its public key and refuse updates signed by another; see docs/operations.md, "Agent release key")`,
    );
  } else if (!configured) {
    console.log(
      `build-binaries: signing with ${path.relative(process.cwd(), file)} (RELEASE_SIGNING_KEY is unset)`,
    );
  }
  const pem = readFileSync(file, 'utf8');
  if (!pem.includes('PRIVATE KEY')) return { file, publicKey: createPublicKey(pem) };
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    console.error(
      `build-binaries: ${file} is not an Ed25519 key (RELEASE_SIGNING_KEY must be an Ed25519 PKCS#8 PEM)`,
    );
    process.exit(1);
  }
  return { file, privateKey, publicKey: createPublicKey(privateKey) };
}

/** Writes SHA256SUMS.sig and release-key.pub (none of it when only the public key is at hand). */
function signRelease(text) {
  const { file, privateKey, publicKey } = releaseKey();
  if (publicKey.asymmetricKeyType !== 'ed25519') {
    console.error(`build-binaries: ${file} is not an Ed25519 key`);
    process.exit(1);
  }
  writeFileSync(path.join(outDir, 'release-key.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  if (!privateKey) {
    console.warn(
      `build-binaries: ${file} holds only a public key: SHA256SUMS is NOT signed, so installs and updates refuse these executables. Sign releases where the private key is (docs/operations.md, "Agent release key").`,
    );
    return;
  }
  writeFileSync(path.join(outDir, 'SHA256SUMS.sig'), sign(null, Buffer.from(text), privateKey));
  console.log(
    `build-binaries: signed SHA256SUMS (release key ${publicKey.export({ type: 'spki', format: 'der' }).subarray(12).toString('base64')})`,
  );
}
