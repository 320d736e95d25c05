/**
 * @module bits — small presentational pieces: status dot, usage bar, inline error, empty state, spinner,
 * a table's actions header and a row's destructive button.
 */
import { useEffect, useRef, type ReactNode } from 'react';
import { LIVENESS_LABELS, type Liveness } from '../liveness/liveness.js';
import { formatPercent } from '../util/format.js';

/** A coloured dot with an accessible label: green live, amber stale or reconnecting, grey otherwise. */
export function StatusDot({ liveness }: { liveness: Liveness }) {
  const label = LIVENESS_LABELS[liveness];
  return <span className={`status-dot status-${liveness}`} role="img" aria-label={label} title={label} />;
}

/** The dot and the word for a host's liveness. */
export function StatusLabel({ liveness, testId = 'host-status' }: { liveness: Liveness; testId?: string }) {
  return (
    <span className="status" data-liveness={liveness}>
      <StatusDot liveness={liveness} />
      <span data-testid={testId}>{LIVENESS_LABELS[liveness]}</span>
    </span>
  );
}

/** A horizontal bar for a percentage, with the number beside it; colour warns above 75 and 90. */
export function UsageBar({
  value,
  label,
  stale = false,
}: {
  value: number | null | undefined;
  label: string;
  /** Grey, because the figure is old. */
  stale?: boolean;
}) {
  const known = value !== null && value !== undefined && Number.isFinite(value);
  const clamped = known ? Math.max(0, Math.min(100, value)) : 0;
  const level = clamped >= 90 ? 'crit' : clamped >= 75 ? 'warn' : 'ok';
  return (
    <span className={stale ? 'usage usage-stale' : 'usage'}>
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

/** An inline error message (nothing when `message` is empty); `focus` moves focus to it when it appears. */
export function ErrorText({
  message,
  testId,
  focus = false,
}: {
  message: string | null | undefined;
  testId?: string;
  focus?: boolean;
}) {
  const ref = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (focus && message) ref.current?.focus();
  }, [focus, message]);
  if (!message) return null;
  return (
    <p ref={ref} className="error-text" role="alert" data-testid={testId} tabIndex={focus ? -1 : undefined}>
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

/** The header cell over a table's row buttons: named for screen readers only. */
export function ActionsHeader() {
  return (
    <th scope="col">
      <span className="visually-hidden">Actions</span>
    </th>
  );
}

/** A row's last cell with its destructive button (which opens a confirmation). */
export function DangerButtonCell({
  label,
  onClick,
  testId,
}: {
  label: string;
  onClick: () => void;
  testId: string;
}) {
  return (
    <td className="num">
      <button type="button" className="button small ghost danger-text" onClick={onClick} data-testid={testId}>
        {label}
      </button>
    </td>
  );
}
