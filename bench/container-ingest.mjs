#!/usr/bin/env node
// Ingest cost of container metrics: the store's batched ingest (one transaction per flush, as the gateway
// flushes) of 50 hosts × N flushes, each sample without containers and then with 50, on SQLite or PostgreSQL.
// Prints wall and API-process CPU per sample. Needs a build (npm run build).
//   node bench/container-ingest.mjs [sqlite | postgres <url-of-an-empty-db>] [containers]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeSample, setSampleContainers } from './lib/peers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { createStore } = await import(path.join(root, 'apps/api/dist/store/index.js'));
const { containerValues } = await import(
  path.join(root, 'apps/api/dist/store/repositories/container-metrics.js')
);
const { extractSeries } = await import(path.join(root, 'packages/protocol/dist/index.js'));

const kind = process.argv[2] ?? 'sqlite';
const counts = process.argv[4] ? [Number(process.argv[4])] : [0, 50];
const HOSTS = 50;
const FLUSHES = 60;
for (const n of counts) {
  setSampleContainers(n);
  const store =
    kind === 'sqlite'
      ? await createStore({
          kind: 'sqlite',
          file: path.join(mkdtempSync(path.join(tmpdir(), 'hw-ingest-')), 'db.sqlite'),
        })
      : await createStore({ kind: 'postgres', url: process.argv[3] });
  const org = `o-${n}`;
  await store.organizations.insert({ id: org, name: 'bench', createdAt: Date.now() });
  for (let h = 0; h < HOSTS; h++)
    await store.hosts.insert({
      id: `${org}-h${h}`,
      organizationId: org,
      name: `h${h}`,
      createdAt: Date.now(),
    });
  const t0 = Date.now() - FLUSHES * 1000;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (let f = 0; f < FLUSHES; f++) {
    const seq = f + 1;
    const batches = [];
    for (let h = 0; h < HOSTS; h++) {
      const s = makeSample(seq, t0 + f * 1000);
      batches.push({
        hostId: `${org}-h${h}`,
        samples: [
          {
            seq,
            ts: s.ts,
            values: extractSeries(s),
            ...(s.containers ? { containers: containerValues(s.containers) } : {}),
          },
        ],
        ...(s.containers ? { containers: { ts: s.ts, list: s.containers } } : {}),
      });
    }
    await store.metrics.ingest(batches);
  }
  const wall = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  const per = FLUSHES * HOSTS;
  console.log(
    `${kind}, ${n} containers per sample: ${(wall / per).toFixed(3)} ms wall, ${((cpu.user + cpu.system) / 1000 / per).toFixed(3)} ms API CPU per sample (${FLUSHES} flushes of ${HOSTS} hosts)`,
  );
  await store.close();
}
