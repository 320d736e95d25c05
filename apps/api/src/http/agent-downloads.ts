/**
 * @module http/agent-downloads — the agent's install path: `GET /install.sh` (the POSIX installer with
 * PUBLIC_URL and the release public key filled in), `GET /downloads/<executable>|SHA256SUMS|SHA256SUMS.sig`
 * (the compiled agent and its signed checksums, see domain/agent-release) and `GET /api/agent/release`.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import type { AppContext } from '../context.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const INSTALL_TEMPLATE = path.resolve(here, '../../assets/install.sh');
const DOWNLOADS = /^(hostwire-agent-linux-(x64|arm64)|SHA256SUMS|SHA256SUMS\.sig)$/;
/** What may be pasted between single quotes in a shell script: an http(s) origin and path, nothing else. */
const SAFE_URL = /^https?:\/\/[A-Za-z0-9.\-[\]:]+(\/[A-Za-z0-9._~\-/]*)?$/;
const BASE64_KEY = /^[A-Za-z0-9+/]{43}=$/;

export function createAgentDownloadsRouter(ctx: AppContext): Router {
  const router = Router();
  const release = ctx.domain.agentRelease;
  const template = readFileSync(INSTALL_TEMPLATE, 'utf8');
  const problem = release.signatureProblem();
  if (problem)
    ctx.logger.warn(`agent downloads: install.sh and hostwire-agent update will refuse them: ${problem}`);

  router.get('/install.sh', (_req, res) => {
    // PUBLIC_URL only: never this request's Host header or scheme, which whoever is in the middle chooses.
    const server = ctx.config.publicUrl;
    if (!SAFE_URL.test(server)) {
      res
        .status(500)
        .type('text/plain')
        .send(
          'PUBLIC_URL holds characters that cannot go into a shell script; set it to a plain https:// URL.\n',
        );
      return;
    }
    const key = release.publicKey();
    res.setHeader('Content-Type', 'text/x-shellscript; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.send(
      template
        .replaceAll('@@SERVER@@', server)
        .replace('@@RELEASE_KEY@@', key && BASE64_KEY.test(key) ? key : ''),
    );
  });

  router.get('/downloads/:file', (req, res) => {
    const file = req.params.file;
    res.setHeader('Cache-Control', 'no-cache');
    if (!DOWNLOADS.test(file) || !existsSync(path.join(release.dir, file))) {
      res
        .status(404)
        .type('text/plain')
        .send(
          DOWNLOADS.test(file)
            ? `${file} is not built on this server. Build it with \`npm run build\` (it needs the @oven/bun-linux-<arch> package that npm install adds), or set AGENT_BINARIES_DIR to where the executables are.\n`
            : `No download named ${file}: there are hostwire-agent-linux-x64, hostwire-agent-linux-arm64, SHA256SUMS and SHA256SUMS.sig.\n`,
        );
      return;
    }
    res.type(file === 'SHA256SUMS' ? 'text/plain' : 'application/octet-stream');
    res.sendFile(file, { root: release.dir, dotfiles: 'deny' });
  });

  router.get('/api/agent/release', (_req, res) => {
    res.json(release.describe());
  });

  return router;
}
