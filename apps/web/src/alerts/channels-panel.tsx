/**
 * @module channels-panel — notification channels: list (masked), editor with write-only secrets, "send test"
 * and the per-channel delivery log (admins); members see the list only.
 */
import { CHANNEL_TYPES, type ChannelType, type Delivery, type NotificationChannel } from '@hostwire/protocol';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from '../api/endpoints.js';
import { errorMessage } from '../api/http.js';
import { ActionsHeader, EmptyState, ErrorText, Loading } from '../components/bits.js';
import { ConfirmDeleteDialog, Dialog, FormDialogFooter } from '../components/dialog.js';
import { formatDateTime } from '../util/format.js';
import { useDraft, useTask } from '../util/hooks.js';
import { checkChannelDraft, draftFromChannel, emptyChannelDraft, type ChannelDraft } from './alert-forms.js';

const TYPE_LABELS: Record<ChannelType, string> = {
  webhook: 'Webhook (signed)',
  slack: 'Slack',
  discord: 'Discord',
  ntfy: 'ntfy',
  email: 'E-mail',
};

function ChannelEditor({
  organizationId,
  channel,
  onClose,
  onSaved,
}: {
  organizationId: string;
  channel: NotificationChannel | null;
  onClose: () => void;
  onSaved: (secret: string | undefined) => void;
}) {
  const { draft, errors, setErrors, set } = useDraft<ChannelDraft>(() =>
    channel ? draftFromChannel(channel) : emptyChannelDraft(),
  );
  const { busy, error, run } = useTask();
  const editing = channel !== null;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const checked = checkChannelDraft(draft, editing);
    if (!checked.ok) {
      setErrors(checked.errors);
      return;
    }
    setErrors({});
    await run(async () => {
      if (channel) {
        const updated = await api.updateChannel(channel.id, {
          name: checked.body.name,
          config: checked.body.config,
        });
        onSaved(updated.secret);
      } else {
        onSaved((await api.createChannel(organizationId, checked.body)).secret);
      }
    });
  };
  // A URL on another origin (scheme, host, port) drops the stored secrets: they were meant for the old one.
  const keep = editing ? ' (leave empty to keep the stored one, unless the URL moves to another host)' : '';
  return (
    <Dialog
      title={channel ? `Edit channel ${channel.name}` : 'New notification channel'}
      onClose={onClose}
      testId="channel-editor"
      footer={
        <FormDialogFooter
          form="channel-form"
          label="Save channel"
          busy={busy}
          onCancel={onClose}
          testId="channel-save"
        />
      }
    >
      <form id="channel-form" className="form" noValidate onSubmit={(e) => void submit(e)}>
        <label className="field">
          <span>Name</span>
          <input
            data-testid="channel-name"
            value={draft.name}
            onChange={(e) => set('name', e.target.value)}
          />
          {errors.name ? <small className="error-text">{errors.name}</small> : null}
        </label>
        <label className="field">
          <span>Type</span>
          <select
            data-testid="channel-type"
            value={draft.type}
            disabled={editing}
            onChange={(e) => set('type', e.target.value as ChannelType)}
          >
            {CHANNEL_TYPES.map((t) => (
              <option key={t} value={t}>
                {TYPE_LABELS[t]}
              </option>
            ))}
          </select>
        </label>
        {draft.type === 'email' ? (
          <label className="field">
            <span>Recipients (comma-separated)</span>
            <input data-testid="channel-to" value={draft.to} onChange={(e) => set('to', e.target.value)} />
            {errors.to ? <small className="error-text">{errors.to}</small> : null}
          </label>
        ) : (
          <label className="field">
            <span>
              {draft.type === 'ntfy'
                ? 'Topic URL'
                : draft.type === 'webhook'
                  ? 'URL'
                  : 'Incoming-webhook URL'}
              {editing ? ` (now ${channel.config.url ?? ''}; leave empty to keep)` : ''}
            </span>
            <input
              data-testid="channel-url"
              type="url"
              value={draft.url}
              placeholder="https://…"
              onChange={(e) => set('url', e.target.value)}
            />
            {errors.url ? (
              <small className="error-text" data-testid="channel-url-error">
                {errors.url}
              </small>
            ) : null}
          </label>
        )}
        {draft.type === 'webhook' ? (
          <label className="field">
            <span>Signing key whsec_…{editing ? keep : ' (empty: one is generated and shown once)'}</span>
            <input
              type="password"
              autoComplete="off"
              value={draft.secret}
              onChange={(e) => set('secret', e.target.value)}
            />
            {errors.secret ? <small className="error-text">{errors.secret}</small> : null}
          </label>
        ) : null}
        {draft.type === 'ntfy' ? (
          <>
            <label className="field">
              <span>Access token (optional){keep}</span>
              <input
                type="password"
                autoComplete="off"
                value={draft.token}
                onChange={(e) => set('token', e.target.value)}
              />
            </label>
            <div className="form-row">
              <label className="field">
                <span>Priority 1–5</span>
                <input
                  inputMode="numeric"
                  value={draft.priority}
                  onChange={(e) => set('priority', e.target.value)}
                />
                {errors.priority ? <small className="error-text">{errors.priority}</small> : null}
              </label>
              <label className="field grow">
                <span>Tags</span>
                <input value={draft.tags} onChange={(e) => set('tags', e.target.value)} />
              </label>
            </div>
          </>
        ) : null}
        <ErrorText message={errors.form ?? error} testId="channel-form-error" />
      </form>
    </Dialog>
  );
}

function DeliveryLog({ channel, onClose }: { channel: NotificationChannel; onClose: () => void }) {
  const [deliveries, setDeliveries] = useState<Delivery[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.deliveries(channel.id).then(
      (r) => setDeliveries(r.deliveries),
      (e: unknown) => setError(errorMessage(e)),
    );
  }, [channel.id]);
  return (
    <Dialog title={`Deliveries of ${channel.name}`} onClose={onClose} wide testId="delivery-log">
      <ErrorText message={error} />
      {deliveries === null ? (
        error ? null : (
          <Loading />
        )
      ) : deliveries.length === 0 ? (
        <EmptyState>Nothing sent yet.</EmptyState>
      ) : (
        <table className="table" data-testid="deliveries-table">
          <thead>
            <tr>
              <th scope="col">Created</th>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last answer</th>
            </tr>
          </thead>
          <tbody>
            {deliveries.map((d) => (
              <tr key={d.id} data-status={d.status}>
                <td title={d.id}>{formatDateTime(d.createdAt)}</td>
                <td>{d.event}</td>
                <td>
                  <span className={`badge delivery-${d.status}`}>{d.status}</span>
                  {d.status === 'pending' && d.nextAttemptAt ? (
                    <span className="muted small"> next {formatDateTime(d.nextAttemptAt)}</span>
                  ) : null}
                </td>
                <td>{d.attempts}</td>
                <td>
                  {d.lastStatusCode ?? ''} {d.lastError ?? (d.status === 'delivered' ? 'OK' : '')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Dialog>
  );
}

/** The channels list; admins create, edit, test, delete and read the delivery log. */
export function ChannelsPanel({ organizationId, canEdit }: { organizationId: string; canEdit: boolean }) {
  const [channels, setChannels] = useState<NotificationChannel[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<NotificationChannel | 'new' | null>(null);
  const [deleting, setDeleting] = useState<NotificationChannel | null>(null);
  const [log, setLog] = useState<NotificationChannel | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [tested, setTested] = useState<{
    channelId: string;
    delivery: Delivery | null;
    error: string | null;
  } | null>(null);
  const load = useCallback(async () => {
    try {
      setChannels((await api.channels(organizationId)).channels);
      setError(null);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [organizationId]);
  useEffect(() => {
    void load();
  }, [load]);
  const sendTest = async (channel: NotificationChannel) => {
    setTested({ channelId: channel.id, delivery: null, error: null });
    try {
      const { delivery } = await api.testChannel(channel.id);
      setTested({ channelId: channel.id, delivery, error: null });
    } catch (e) {
      setTested({ channelId: channel.id, delivery: null, error: errorMessage(e) });
    }
  };
  return (
    <div data-testid="channels-panel">
      <div className="toolbar">
        {canEdit ? (
          <button
            type="button"
            className="button primary"
            data-testid="new-channel"
            onClick={() => setEditing('new')}
          >
            New channel
          </button>
        ) : (
          <span className="muted small">Channels are managed by admins.</span>
        )}
      </div>
      {secret ? (
        <div className="banner banner-info" role="status" data-testid="channel-secret">
          <p>The webhook signing key (shown only now; receivers verify with it):</p>
          <p className="row">
            <code className="grow">{secret}</code>{' '}
            <button type="button" className="button small" onClick={() => setSecret(null)}>
              Done
            </button>
          </p>
        </div>
      ) : null}
      <ErrorText message={error} />
      {channels === null ? (
        error ? null : (
          <Loading label="Loading channels…" />
        )
      ) : channels.length === 0 ? (
        <EmptyState>No notification channels yet.</EmptyState>
      ) : (
        <table className="table" data-testid="channels-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Target</th>
              {canEdit ? <ActionsHeader /> : null}
            </tr>
          </thead>
          <tbody>
            {channels.map((c) => (
              <tr key={c.id} data-testid={`channel-row-${c.name}`}>
                <td className="cell-name" data-label="Name">
                  {c.name}
                </td>
                <td data-label="Type">{TYPE_LABELS[c.type]}</td>
                <td data-label="Target">
                  <code>{c.config.url ?? c.config.to?.join(', ') ?? ''}</code>
                  {c.hasSecret ? <span className="muted small"> · secret set</span> : null}
                  {tested?.channelId === c.id ? (
                    <span className="small" data-testid="channel-test-result" role="status">
                      {' '}
                      {tested.error
                        ? `test failed: ${tested.error}`
                        : tested.delivery
                          ? tested.delivery.status === 'delivered'
                            ? `test delivered (${tested.delivery.lastStatusCode ?? ''})`
                            : `test failed: ${tested.delivery.lastError ?? tested.delivery.status}`
                          : 'sending test…'}
                    </span>
                  ) : null}
                </td>
                {canEdit ? (
                  <td className="row-end">
                    <button
                      type="button"
                      className="button small"
                      data-testid="channel-test"
                      onClick={() => void sendTest(c)}
                    >
                      Send test
                    </button>{' '}
                    <button
                      type="button"
                      className="button small"
                      data-testid="channel-log"
                      onClick={() => setLog(c)}
                    >
                      Deliveries
                    </button>{' '}
                    <button type="button" className="button small" onClick={() => setEditing(c)}>
                      Edit
                    </button>{' '}
                    <button type="button" className="button small danger" onClick={() => setDeleting(c)}>
                      Delete
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing ? (
        <ChannelEditor
          organizationId={organizationId}
          channel={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={(generated) => {
            setEditing(null);
            setSecret(generated ?? null);
            void load();
          }}
        />
      ) : null}
      {log ? <DeliveryLog channel={log} onClose={() => setLog(null)} /> : null}
      {deleting ? (
        <ConfirmDeleteDialog
          title={`Delete channel ${deleting.name}?`}
          confirmLabel="Delete channel"
          onCancel={() => setDeleting(null)}
          onDelete={async () => {
            await api.deleteChannel(deleting.id);
            setDeleting(null);
            await load();
          }}
        >
          <p>Rules stop notifying it, and its delivery log is deleted.</p>
        </ConfirmDeleteDialog>
      ) : null}
    </div>
  );
}
