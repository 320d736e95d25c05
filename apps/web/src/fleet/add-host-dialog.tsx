/** @module add-host-dialog — create a host, show its enroll commands and wait for the agent to connect. */
import type { Host } from '@hostwire/protocol';
import { useId, useState, type FormEvent } from 'react';
import { api, type CreatedHost } from '../api/endpoints.js';
import { ErrorText } from '../components/bits.js';
import { Command } from '../components/command.js';
import { Dialog } from '../components/dialog.js';
import { useRealtimeMessages } from '../realtime/realtime-context.js';
import { Link } from '../router/router.js';
import { formatDateTime } from '../util/format.js';
import { useTask } from '../util/hooks.js';
import { useServerIdentity } from './agent-release.js';
import { installCommands } from './install-command.js';

/** The "Add host" dialog; `hosts` is the live fleet list, used to notice the new host coming online. */
export function AddHostDialog({
  organizationId,
  hosts,
  onClose,
}: {
  organizationId: string;
  hosts: readonly Host[];
  onClose: () => void;
}) {
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CreatedHost | null>(null);
  const { busy, error, run } = useTask();
  const [seenOnline, setSeenOnline] = useState(false);
  const server = useServerIdentity();
  const duplicateId = useId();
  const wanted = name.trim().toLowerCase();
  const duplicate = wanted ? hosts.find((h) => h.name.toLowerCase() === wanted) : undefined;

  useRealtimeMessages((message) => {
    if (
      created &&
      message.type === 'host.status' &&
      message.hostId === created.host.id &&
      message.status === 'online'
    ) {
      setSeenOnline(true);
    }
  });
  const online =
    seenOnline || (created !== null && hosts.some((h) => h.id === created.host.id && h.status === 'online'));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => setCreated(await api.createHost(organizationId, name.trim())));
  };

  if (!created) {
    return (
      <Dialog title="Add host" onClose={onClose} testId="add-host-dialog">
        <form className="form" data-testid="add-host-form" onSubmit={(e) => void submit(e)}>
          <label className="field">
            <span>Host name</span>
            <input
              type="text"
              name="hostName"
              required
              maxLength={100}
              placeholder="web-1"
              aria-describedby={duplicate ? duplicateId : undefined}
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          </label>
          {duplicate ? (
            <p className="warning-text" id={duplicateId} data-testid="duplicate-name-warning">
              A host named “{duplicate.name}” already exists. Two hosts with one name are hard to tell apart
              in the fleet, alerts and the audit log.
            </p>
          ) : null}
          <ErrorText message={error} />
          <div className="row-end">
            <button type="button" className="button ghost" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="button primary" disabled={busy}>
              {busy ? 'Creating…' : 'Create host'}
            </button>
          </div>
        </form>
      </Dialog>
    );
  }

  const commands = server ? installCommands(server, created.enrollmentToken) : null;
  return (
    <Dialog title={`Enroll ${created.host.name}`} onClose={onClose} wide testId="add-host-dialog">
      <p>
        On the machine, run this one line: it installs the agent, checks its signature, enrolls it and starts
        it as a service (the token works once, until {formatDateTime(created.enrollmentExpiresAt)}). As root
        (containers, LXC, machines without sudo):
      </p>
      {commands ? (
        <>
          <Command text={commands.root} testId="install-command-root" />
          <p>Or as a user with sudo:</p>
          <Command text={commands.sudo} testId="install-command" />
          {commands.insecureHttp ? (
            <p className="warning-text" data-testid="install-insecure-http">
              This server&apos;s address (PUBLIC_URL) is plain http: the token and the agent&apos;s
              credentials travel in clear, so these lines need <code>--insecure-http</code>. Serve Hostwire
              over https and set PUBLIC_URL to its https:// address.
            </p>
          ) : null}
        </>
      ) : (
        <p className="waiting" role="status">
          <span className="spinner" aria-hidden="true" /> Loading the install line…
        </p>
      )}
      <details className="manual-steps" data-testid="manual-steps">
        <summary>Or by hand (an installed hostwire-agent, no service, or no root)</summary>
        <ol className="steps">
          <li>
            Enroll the agent:
            {commands ? <Command text={commands.enroll} testId="enroll-command" /> : null}
          </li>
          <li>
            Then start it:
            <Command text="hostwire-agent run" testId="run-command" />
          </li>
        </ol>
        <p className="muted small">
          Without root: append <code>--prefix ~/bin --config ~/.hostwire/agent.json --no-service</code> to the
          root line above.
        </p>
      </details>
      {online ? (
        <p className="banner banner-ok" role="status" data-testid="enroll-online">
          The agent is connected.{' '}
          <Link to={`/hosts/${encodeURIComponent(created.host.id)}`} onClick={onClose}>
            Open {created.host.name}
          </Link>
        </p>
      ) : (
        <p className="waiting" role="status" data-testid="enroll-waiting">
          <span className="spinner" aria-hidden="true" /> Waiting for the agent…
        </p>
      )}
      <div className="row-end">
        <button type="button" className="button" onClick={onClose}>
          {online ? 'Done' : 'Close'}
        </button>
      </div>
    </Dialog>
  );
}
