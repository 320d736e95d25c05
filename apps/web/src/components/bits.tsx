/** @module bits — small presentational pieces: status dot, usage bar, inline error, empty state, spinner. */
import type { HostStatus } from '@hostwire/protocol';
import type { ReactNode } from 'react';
import { formatPercent } from '../util/format.js';

/** A coloured dot with an accessible status label. */
export function StatusDot({ status }: { status: HostStatus }) {
  return <span className={`status-dot status-${status}`} role="img" aria-label={status} title={status} />;
}

/** A horizontal bar for a percentage, with the number beside it; colour warns above 75 and 90. */
export function UsageBar({ value, label }: { value: number | null | undefined; label: string }) {
  const known = value !== null && value !== undefined && Number.isFinite(value);
  const clamped = known ? Math.max(0, Math.min(100, value)) : 0;
  const level = clamped >= 90 ? 'crit' : clamped >= 75 ? 'warn' : 'ok';
  return (
    <span className="usage">
      <span
        className="usage-track"
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={known ? Math.round(clamped) : undefined}
      >
        <span className={`usage-fill usage-${level}`} style={{ width: `${clamped}%` }} />
      </span>
      <span className="usage-value">{formatPercent(known ? value : null)}</span>
    </span>
  );
}

/** An inline error message (nothing when `message` is empty). */
export function ErrorText({ message, testId }: { message: string | null | undefined; testId?: string }) {
  if (!message) return null;
  return (
    <p className="error-text" role="alert" data-testid={testId}>
      {message}
    </p>
  );
}

/** A quiet box for "nothing here yet". */
export function EmptyState({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

/** A loading line. */
export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status">
      {label}
    </p>
  );
}
