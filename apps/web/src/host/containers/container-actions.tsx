/**
 * @module container-actions — Start / Stop / Restart for one container, when the agent offers the
 * built-in container actions and the member may run actions. Each is an ordinary signed, audited action;
 * stop and restart (dangerous) ask first.
 */
import { FINAL_ACTION_STATUSES, type ActionDescriptor, type Host } from '@hostwire/protocol';
import { useEffect, useRef, useState } from 'react';
import { api } from '../../api/endpoints.js';
import { errorMessage } from '../../api/http.js';
import { ConfirmDialog } from '../../components/dialog.js';

const VERBS = [
  { action: 'container-start', label: 'Start' },
  { action: 'container-stop', label: 'Stop' },
  { action: 'container-restart', label: 'Restart' },
] as const;

/** The action buttons of container `name`; nothing when the host does not offer them or `canRun` is false. */
export function ContainerActions({
  host,
  name,
  canRun,
  blockedReason,
}: {
  host: Host;
  name: string;
  canRun: boolean;
  blockedReason: string | null;
}) {
  const offered = VERBS.map((v) => ({
    ...v,
    descriptor: host.agent?.actions.find((a) => a.name === v.action),
  })).filter(
    (v): v is (typeof VERBS)[number] & { descriptor: ActionDescriptor } => v.descriptor !== undefined,
  );
  const [confirming, setConfirming] = useState<(typeof offered)[number] | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const alive = useRef(true);
  useEffect(
    () => () => {
      alive.current = false;
    },
    [],
  );

  if (!canRun || offered.length === 0) return null;

  const run = async (verb: (typeof offered)[number]) => {
    setConfirming(null);
    setBusy(true);
    setStatus(`${verb.label}: sent`);
    try {
      let { action } = await api.runAction(host.id, verb.action, { container: name });
      // The result arrives within seconds (the engine's own stop timeout is 10 s).
      for (let i = 0; i < 120 && alive.current && !FINAL_ACTION_STATUSES.includes(action.status); i++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        ({ action } = await api.action(action.id));
      }
      if (alive.current)
        setStatus(`${verb.label}: ${action.status}${action.error ? ` — ${action.error}` : ''}`);
    } catch (e) {
      if (alive.current) setStatus(`${verb.label}: ${errorMessage(e)}`);
    } finally {
      if (alive.current) setBusy(false);
    }
  };

  return (
    <div className="container-actions" data-testid="container-actions">
      {offered.map((verb) => (
        <button
          key={verb.action}
          type="button"
          className={verb.descriptor.dangerous ? 'button small danger' : 'button small'}
          disabled={busy || blockedReason !== null}
          title={blockedReason ?? verb.descriptor.description}
          onClick={() => (verb.descriptor.dangerous ? setConfirming(verb) : void run(verb))}
          data-testid={`container-action-${verb.action}`}
        >
          {verb.label}
        </button>
      ))}
      {status ? (
        <span className="muted small" role="status" data-testid="container-action-status">
          {status}
        </span>
      ) : null}
      {confirming ? (
        <ConfirmDialog
          title={`${confirming.label} ${name}?`}
          confirmLabel={confirming.label}
          danger
          onConfirm={() => void run(confirming)}
          onCancel={() => setConfirming(null)}
          confirmTestId="confirm-container-action"
        >
          <p>
            {confirming.descriptor.description} on <strong>{host.name}</strong>. It runs as the action{' '}
            <code>{confirming.action}</code> and is recorded in the audit log.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
