/** @module host-admin — admin-only host operations: issue a new enrollment token, delete the host. */
import type { Host } from '@hostwire/protocol';
import { useState } from 'react';
import { api } from '../api/endpoints.js';
import { ErrorText } from '../components/bits.js';
import { Command } from '../components/command.js';
import { Dialog } from '../components/dialog.js';
import { navigate } from '../router/router.js';
import { formatDateTime } from '../util/format.js';
import { useTask } from '../util/hooks.js';

type Step =
  | { kind: 'idle' }
  | { kind: 'confirm-rotate' }
  | { kind: 'confirm-delete' }
  | { kind: 'rotated'; token: string; expiresAt: number };

/** Buttons and dialogs to re-enroll or delete `host`; render only for admins and owners. */
export function HostAdmin({ host }: { host: Host }) {
  const [step, setStep] = useState<Step>({ kind: 'idle' });
  const { busy, error, setError, run } = useTask();
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

  const footer = (label: string, onConfirm: () => Promise<void>, testId: string) => (
    <>
      <button type="button" className="button ghost" onClick={close}>
        Cancel
      </button>
      <button
        type="button"
        className="button danger"
        disabled={busy}
        onClick={() => void onConfirm()}
        data-testid={testId}
      >
        {busy ? 'Working…' : label}
      </button>
    </>
  );

  return (
    <div className="row-end host-admin">
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
      {step.kind === 'confirm-rotate' ? (
        <Dialog
          title={`New enrollment token for ${host.name}`}
          onClose={close}
          footer={footer('Revoke and issue', rotate, 'host-rotate-confirm')}
        >
          <p>
            The agent's current token stops working at once and its connection is closed. Enroll it again with
            the new token.
          </p>
          <ErrorText message={error} />
        </Dialog>
      ) : null}
      {step.kind === 'confirm-delete' ? (
        <Dialog
          title={`Delete ${host.name}?`}
          onClose={close}
          footer={footer('Delete host', remove, 'host-delete-confirm')}
        >
          <p>
            The agent is disconnected for good, and the host's metrics and action history are deleted. This
            cannot be undone.
          </p>
          <ErrorText message={error} />
        </Dialog>
      ) : null}
      {step.kind === 'rotated' ? (
        <Dialog title={`Re-enroll ${host.name}`} onClose={close} wide testId="host-rotated">
          <p>
            On the machine, enroll again (the token works once, until {formatDateTime(step.expiresAt)}), then
            restart the agent:
          </p>
          <Command
            text={`hostwire-agent enroll --server ${window.location.origin} --token ${step.token}`}
            testId="enroll-command"
          />
          <Command text="hostwire-agent run" testId="run-command" />
        </Dialog>
      ) : null}
    </div>
  );
}
