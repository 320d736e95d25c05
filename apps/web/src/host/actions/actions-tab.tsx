/** @module actions-tab — the agent's action catalog with run forms, the live run panel and the history. */
import {
  topicFor,
  type ActionDescriptor,
  type ActionParams,
  type ActionRecord,
  type Host,
} from '@hostwire/protocol';
import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api } from '../../api/endpoints.js';
import { errorMessage } from '../../api/http.js';
import { EmptyState, ErrorText } from '../../components/bits.js';
import { RealtimeRequestError } from '../../realtime/client.js';
import { useRealtime, useRealtimeMessages, useResync } from '../../realtime/realtime-context.js';
import { useMe } from '../../session/session.js';
import { ActionForm } from './action-form.js';
import { ActionHistory } from './action-history.js';
import { ActionRunPanel } from './action-run-panel.js';

function ActionCard({
  action,
  canRun,
  blockedReason,
  onRun,
  children,
}: {
  action: ActionDescriptor;
  canRun: boolean;
  blockedReason: string | null;
  onRun: (p: ActionParams) => Promise<string | null>;
  /** The run panel, when this action's run is shown. */
  children?: ReactNode;
}) {
  const params = Object.entries(action.params);
  return (
    <article
      className={children ? 'card action-card has-run' : 'card action-card'}
      data-testid={`action-${action.name}`}
    >
      <header className="action-head">
        <h3>{action.name}</h3>
        {action.dangerous ? <span className="badge badge-danger">dangerous</span> : null}
      </header>
      {action.description ? <p className="muted">{action.description}</p> : null}
      {canRun ? (
        <ActionForm action={action} onRun={onRun} blockedReason={blockedReason} />
      ) : params.length > 0 ? (
        <p className="muted small">
          Parameters: {params.map(([name, spec]) => `${name} (${spec.type})`).join(', ')}
        </p>
      ) : null}
      {children}
    </article>
  );
}

/**
 * The actions tab of a host; `canRun` is false for viewers, who then see no run or stop buttons;
 * `blockedReason` says why runs are disabled right now (offline or stale host).
 */
export function ActionsTab({
  host,
  canRun,
  blockedReason,
}: {
  host: Host;
  canRun: boolean;
  blockedReason: string | null;
}) {
  const client = useRealtime();
  const me = useMe();
  const [history, setHistory] = useState<readonly ActionRecord[]>([]);
  const [historyError, setHistoryError] = useState<string | null>(null);
  const [selected, setSelected] = useState<{ id: string; name: string } | null>(null);
  const catalog = host.agent?.actions ?? [];
  const [memberEmails, setMemberEmails] = useState<ReadonlyMap<string, string>>(new Map());
  const userEmails = useMemo(
    () => new Map([...memberEmails, [me.user.id, me.user.email]]),
    [memberEmails, me.user.id, me.user.email],
  );

  useEffect(() => {
    // Admins may list members, which names who ran what; everyone else sees user ids.
    api.members(host.organizationId).then(
      ({ members }) => setMemberEmails(new Map(members.map((m) => [m.userId, m.email]))),
      () => undefined,
    );
  }, [host.organizationId]);

  const loadHistory = useCallback(async () => {
    try {
      setHistory((await api.actions(host.id)).actions);
      setHistoryError(null);
    } catch (e) {
      setHistoryError(errorMessage(e));
    }
  }, [host.id]);

  useEffect(() => {
    void loadHistory();
  }, [loadHistory]);

  useRealtimeMessages((message) => {
    if (message.type !== 'action.status' || message.hostId !== host.id) return;
    if (!history.some((r) => r.id === message.actionId)) {
      void loadHistory();
      return;
    }
    setHistory((rows) =>
      rows.map((r) =>
        r.id === message.actionId
          ? { ...r, status: message.status, exitCode: message.exitCode, error: message.error }
          : r,
      ),
    );
  });
  useResync((topics) => {
    if (topics === null || topics.includes(topicFor.host(host.id))) void loadHistory();
  });

  const run = async (action: string, params: ActionParams): Promise<string | null> => {
    let actionId: string | undefined;
    try {
      actionId = (await client.request({ type: 'action.run', hostId: host.id, action, params })).actionId;
    } catch (e) {
      if (!(e instanceof RealtimeRequestError) || e.code !== 'unavailable') return errorMessage(e);
      // The socket is down: the HTTP route does the same thing.
      try {
        actionId = (await api.runAction(host.id, action, params)).action.id;
      } catch (httpError) {
        return errorMessage(httpError);
      }
    }
    if (!actionId) return 'The server did not return an action id.';
    setSelected({ id: actionId, name: action });
    void loadHistory();
    return null;
  };

  // The output of a run shows beside the action that ran it (or above the history for a past one).
  const runPanel = (shown: { id: string; name: string }) => (
    <ActionRunPanel
      key={shown.id}
      actionId={shown.id}
      actionName={shown.name}
      canCancel={canRun}
      onClose={() => setSelected(null)}
      onFinished={() => void loadHistory()}
    />
  );

  return (
    <div className="actions">
      {!canRun ? (
        <p className="banner banner-info" data-testid="actions-read-only">
          Your role can see the actions of this host but not run them.
        </p>
      ) : null}
      {catalog.length === 0 ? (
        <EmptyState>This host announces no actions (the agent configures them).</EmptyState>
      ) : (
        <div className="action-grid">
          {catalog.map((action) => (
            <ActionCard
              key={action.name}
              action={action}
              canRun={canRun}
              blockedReason={blockedReason}
              onRun={(params) => run(action.name, params)}
            >
              {selected?.name === action.name ? runPanel(selected) : null}
            </ActionCard>
          ))}
        </div>
      )}
      {selected && !catalog.some((a) => a.name === selected.name) ? runPanel(selected) : null}
      <h2 className="section-title">History</h2>
      <ErrorText message={historyError} />
      <ActionHistory
        actions={history}
        userEmails={userEmails}
        selectedId={selected?.id ?? null}
        onSelect={(record) => setSelected({ id: record.id, name: record.action })}
      />
    </div>
  );
}
