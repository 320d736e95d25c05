/** @module store/repositories/latest-samples — each host of an organization with its newest stored series. */
import type { HostStatus, SeriesValues } from '@hostwire/protocol';
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface HostLatestRow {
  hostId: string;
  name: string;
  status: HostStatus;
  /** The newest stored sample (its series only), or null when none is kept. */
  latest: { ts: number; values: SeriesValues } | null;
}

export function createLatestSamplesRepository(db: Kysely<Database>) {
  return {
    /** One read: every host of the organization joined with its sample at `last_seq` (a primary-key hit). */
    async ofOrganization(organizationId: string): Promise<HostLatestRow[]> {
      const rows = await db
        .selectFrom('hosts')
        .leftJoin('metric_samples', (join) =>
          join
            .onRef('metric_samples.host_id', '=', 'hosts.id')
            .onRef('metric_samples.seq', '=', 'hosts.last_seq'),
        )
        .select(['hosts.id', 'hosts.name', 'hosts.status', 'metric_samples.ts', 'metric_samples.values_json'])
        .where('hosts.organization_id', '=', organizationId)
        .execute();
      return rows.map((r) => ({
        hostId: r.id,
        name: r.name,
        status: r.status as HostStatus,
        latest:
          r.ts === null || r.values_json === null
            ? null
            : { ts: Number(r.ts), values: JSON.parse(r.values_json) as SeriesValues },
      }));
    },
  };
}
