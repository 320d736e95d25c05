/** @module host-setup — what a host that never enrolled shows instead of empty charts: its setup steps. */
import type { Host } from '@hostwire/protocol';
import { useState } from 'react';
import { api } from '../api/endpoints.js';
import { ErrorText } from '../components/bits.js';
import { Command } from '../components/command.js';
import { formatDateTime } from '../util/format.js';
import { useTask } from '../util/hooks.js';
import { useServerIdentity } from '../fleet/agent-release.js';
import { installCommands } from '../fleet/install-command.js';

/** Setup steps of a host without an agent; admins can issue the enrollment command here. */
export function HostSetup({ host, canEnroll }: { host: Host; canEnroll: boolean }) {
  const [enrollment, setEnrollment] = useState<{ token: string; expiresAt: number } | null>(null);
  const { busy, error, run } = useTask();
  const server = useServerIdentity();
  const issue = () =>
    run(async () => {
      const issued = await api.rotateToken(host.id);
      setEnrollment({ token: issued.enrollmentToken, expiresAt: issued.enrollmentExpiresAt });
    });

  return (
    <div className="card setup-steps" data-testid="host-setup">
      <h2>Set up {host.name}</h2>
      <p className="muted">
        No agent has enrolled for this host yet, so there are no metrics, logs or actions to show.
      </p>
      <ol className="steps">
        <li>
          Install <code>hostwire-agent</code> on the machine (Node.js 20 or later).
        </li>
        <li>
          Enroll it with a one-time token:
          {enrollment && server ? (
            <>
              <Command text={installCommands(server, enrollment.token).enroll} testId="enroll-command" />
              <span className="muted small">
                The token works once, until {formatDateTime(enrollment.expiresAt)}.
              </span>
            </>
          ) : canEnroll ? (
            <div>
              <button
                type="button"
                className="button primary"
                disabled={busy}
                onClick={() => void issue()}
                data-testid="host-setup-issue"
              >
                {busy ? 'Creating…' : 'Show the enroll command'}
              </button>
              <p className="muted small">This issues a new token; an earlier one stops working.</p>
            </div>
          ) : (
            <p className="muted">Ask an admin of the organization for the enroll command.</p>
          )}
          <ErrorText message={error} />
        </li>
        <li>
          Start it: <Command text="hostwire-agent run" testId="run-command" />
        </li>
      </ol>
      <p className="waiting" role="status">
        <span className="spinner" aria-hidden="true" /> This page switches to live charts as soon as the agent
        connects.
      </p>
    </div>
  );
}
