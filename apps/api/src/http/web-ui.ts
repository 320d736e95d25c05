/** @module http/web-ui — serves the built UI: precompressed (brotli, gzip), cached by content hash, SPA fallback. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import express, { type Express, type Request, type Response } from 'express';

/** Hashed file names never change content: cache them for a year. Everything else revalidates. */
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

/** Encodings in preference order, with the suffix the build wrote (see apps/web/build/precompress.ts). */
const ENCODINGS = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

/** The encodings the request accepts (a `q=0` entry refuses one). */
function accepted(req: Request): Set<string> {
  const out = new Set<string>();
  for (const part of (req.headers['accept-encoding'] ?? '').split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (name && !(q && Number(q.slice(2)) === 0)) out.add(name);
  }
  return out;
}

function cacheControlFor(relative: string): string {
  return relative.startsWith('assets/') ? IMMUTABLE_CACHE : REVALIDATE;
}

/**
 * Serves `dir` (when it holds an index.html). A file with a `.br`/`.gz` sibling is sent compressed when
 * the client accepts it, always with `Vary: Accept-Encoding`; unknown GETs outside /api and /ws get
 * index.html so client-side routes load.
 */
export function serveWebUi(app: Express, dir: string): void {
  const index = path.join(dir, 'index.html');
  if (!existsSync(index)) return;
  // The build is fixed while the server runs: list the precompressed variants once.
  const variants = new Set(
    filesUnder(dir)
      .filter((f) => f.endsWith('.br') || f.endsWith('.gz'))
      .map((f) => path.relative(dir, f).split(path.sep).join('/')),
  );

  const send = (req: Request, res: Response, relative: string): void => {
    res.setHeader('Cache-Control', cacheControlFor(relative));
    res.vary('Accept-Encoding');
    const accepts = accepted(req);
    const encoding = ENCODINGS.find((e) => accepts.has(e.name) && variants.has(relative + e.suffix));
    if (!encoding) {
      res.sendFile(relative, { root: dir, cacheControl: false, dotfiles: 'deny' });
      return;
    }
    res.setHeader('Content-Encoding', encoding.name);
    res.type(path.extname(relative));
    res.sendFile(relative + encoding.suffix, { root: dir, cacheControl: false, dotfiles: 'deny' });
  };

  app.get(/^\/assets\/[^/]+$/, (req, res, next) => {
    const relative = req.path.slice(1);
    if (!relative.endsWith('.br') && !relative.endsWith('.gz') && existsSync(path.join(dir, relative)))
      send(req, res, relative);
    else next();
  });
  app.use(
    express.static(dir, {
      index: false,
      setHeaders: (res, file) => res.setHeader('Cache-Control', cacheControlFor(path.relative(dir, file))),
    }),
  );
  app.get(/^(?!\/(api|ws|assets)\/).*/, (req, res) => send(req, res, 'index.html'));
}
