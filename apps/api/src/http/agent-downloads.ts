/**
 * @module http/agent-downloads — the agent's install path: `GET /install.sh` (the POSIX installer with
 * this server filled in), `GET /downloads/<executable>|SHA256SUMS` (the compiled agent, built by
 * `npm run build` into apps/agent/dist-bin) and `GET /api/agent/release` (the version they carry, so
 * the fleet can mark outdated agents).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type Request } from 'express';
import type { AgentRelease } from '@hostwire/protocol';
import type { AppContext } from '../context.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** apps/agent/dist-bin, seen from apps/api/{src,dist}/http. */
const DEFAULT_BINARIES_DIR = path.resolve(here, '../../../agent/dist-bin');
const INSTALL_TEMPLATE = path.resolve(here, '../../assets/install.sh');
const DOWNLOADS = /^(hostwire-agent-linux-(x64|arm64)|SHA256SUMS)$/;
/** What may be pasted between single quotes in a shell script: an http(s) origin and path, nothing else. */
const SAFE_URL = /^https?:\/\/[A-Za-z0-9.\-[\]:]+(\/[A-Za-z0-9._~\-/]*)?$/;

/** The server URL agents should use: this request's origin when it is a plain one, else PUBLIC_URL. */
function serverUrl(req: Request, fallback: string): string {
  const host = req.get('host');
  const url = host ? `${req.protocol}://${host}` : fallback;
  return SAFE_URL.test(url) ? url : fallback;
}

/** The agent release in `dir`: its version and the platforms built, from VERSION and SHA256SUMS. */
export function readAgentRelease(dir: string): AgentRelease {
  let version: string | null = null;
  let platforms: string[] = [];
  try {
    version = readFileSync(path.join(dir, 'VERSION'), 'utf8').trim() || null;
    platforms = readFileSync(path.join(dir, 'SHA256SUMS'), 'utf8')
      .split('\n')
      .map((line) => /hostwire-agent-(linux-(?:x64|arm64))$/.exec(line.trim())?.[1])
      .filter((p): p is string => p !== undefined);
  } catch {
    // Not built: no version, no platforms.
  }
  return { version, platforms };
}

export function createAgentDownloadsRouter(ctx: AppContext): Router {
  const router = Router();
  const dir = ctx.config.agentBinariesDir ?? DEFAULT_BINARIES_DIR;
  const template = readFileSync(INSTALL_TEMPLATE, 'utf8');

  router.get('/install.sh', (req, res) => {
    const server = serverUrl(req, ctx.config.publicUrl);
    res.setHeader('Content-Type', 'text/x-shellscript; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.send(template.replace('@@SERVER@@', server));
  });

  router.get('/downloads/:file', (req, res) => {
    const file = req.params.file;
    res.setHeader('Cache-Control', 'no-cache');
    if (!DOWNLOADS.test(file) || !existsSync(path.join(dir, file))) {
      res
        .status(404)
        .type('text/plain')
        .send(
          DOWNLOADS.test(file)
            ? `${file} is not built on this server. Build it with \`npm run build\` (it needs the @oven/bun-linux-<arch> package that npm install adds), or set AGENT_BINARIES_DIR to where the executables are.\n`
            : `No download named ${file}: there are hostwire-agent-linux-x64, hostwire-agent-linux-arm64 and SHA256SUMS.\n`,
        );
      return;
    }
    res.type(file === 'SHA256SUMS' ? 'text/plain' : 'application/octet-stream');
    res.sendFile(file, { root: dir, dotfiles: 'deny' });
  });

  router.get('/api/agent/release', (_req, res) => {
    res.json(readAgentRelease(dir));
  });

  return router;
}
