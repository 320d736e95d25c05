/** @module host-admin — admin-only host operations: issue a new enrollment token, delete the host. */
import type { Host } from '@hostwire/protocol';
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { api } from '../api/endpoints.js';
import { Command } from '../components/command.js';
import { ConfirmDialog, Dialog } from '../components/dialog.js';
import { useServerIdentity } from '../fleet/agent-release.js';
import { installCommands } from '../fleet/install-command.js';
import { navigate } from '../router/router.js';
import { formatDateTime } from '../util/format.js';
import { PHONE_QUERY, useMediaQuery, useTask } from '../util/hooks.js';

type Step =
  | { kind: 'idle' }
  | { kind: 'confirm-rotate' }
  | { kind: 'confirm-delete' }
  | { kind: 'rotated'; token: string; expiresAt: number };

/** On a phone the header's buttons collapse into one "Host actions" menu. */
function HostMenu({ children }: { children: ReactNode }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const onDown = (event: PointerEvent) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', onDown);
    return () => document.removeEventListener('pointerdown', onDown);
  }, [open]);
  return (
    <div
      className="menu"
      ref={root}
      onKeyDown={(event) => {
        if (event.key === 'Escape') setOpen(false);
      }}
    >
      <button
        type="button"
        className="button ghost"
        aria-expanded={open}
        aria-controls={id}
        onClick={() => setOpen((o) => !o)}
        data-testid="host-menu"
      >
        Host actions ▾
      </button>
      {open ? (
        <div className="menu-items" id={id} onClick={() => setOpen(false)}>
          {children}
        </div>
      ) : null}
    </div>
  );
}

/** Buttons and dialogs to re-enroll or delete `host`; render only for admins and owners. */
export function HostAdmin({ host }: { host: Host }) {
  const [step, setStep] = useState<Step>({ kind: 'idle' });
  const { busy, error, setError, run } = useTask();
  const phone = useMediaQuery(PHONE_QUERY);
  const server = useServerIdentity();
  const close = () => {
    setStep({ kind: 'idle' });
    setError(null);
  };

  const rotate = () =>
    run(async () => {
      const enrollment = await api.rotateToken(host.id);
      setStep({
        kind: 'rotated',
        token: enrollment.enrollmentToken,
        expiresAt: enrollment.enrollmentExpiresAt,
      });
    });
  const remove = () =>
    run(async () => {
      await api.deleteHost(host.id);
      navigate('/');
    });

  const buttons = (
    <>
      <button
        type="button"
        className="button ghost"
        onClick={() => setStep({ kind: 'confirm-rotate' })}
        data-testid="host-rotate"
      >
        New enrollment token
      </button>
      <button
        type="button"
        className="button ghost danger-text"
        onClick={() => setStep({ kind: 'confirm-delete' })}
        data-testid="host-delete"
      >
        Delete host
      </button>
    </>
  );

  return (
    <div className="row-end host-admin">
      {phone ? <HostMenu>{buttons}</HostMenu> : buttons}
      {step.kind === 'confirm-rotate' ? (
        <ConfirmDialog
          title={`New enrollment token for ${host.name}`}
          confirmLabel="Revoke and issue"
          danger
          busy={busy}
          error={error}
          onConfirm={() => void rotate()}
          onCancel={close}
          confirmTestId="host-rotate-confirm"
        >
          <p>
            The agent's current token stops working at once and its connection is closed. Enroll it again with
            the new token.
          </p>
        </ConfirmDialog>
      ) : null}
      {step.kind === 'confirm-delete' ? (
        <ConfirmDialog
          title={`Delete ${host.name}?`}
          confirmLabel="Delete host"
          danger
          busy={busy}
          error={error}
          onConfirm={() => void remove()}
          onCancel={close}
          confirmTestId="host-delete-confirm"
        >
          <p>
            The agent is disconnected for good, and the host's metrics and action history are deleted. This
            cannot be undone.
          </p>
        </ConfirmDialog>
      ) : null}
      {step.kind === 'rotated' ? (
        <Dialog title={`Re-enroll ${host.name}`} onClose={close} wide testId="host-rotated">
          <p>
            On the machine, enroll again (the token works once, until {formatDateTime(step.expiresAt)}), then
            restart the agent:
          </p>
          {server ? (
            <Command text={installCommands(server, step.token).enroll} testId="enroll-command" />
          ) : null}
          <Command text="hostwire-agent run" testId="run-command" />
        </Dialog>
      ) : null}
    </div>
  );
}
