/** @module domain/health — whether this instance can serve: its database answers and its backplane is up. */
import type { DomainDeps } from './deps.js';

export function createHealth(deps: DomainDeps) {
  return {
    async check(): Promise<{ store: boolean; bus: boolean }> {
      return { store: await deps.store.ping(), bus: deps.bus.isHealthy() };
    },
  };
}
