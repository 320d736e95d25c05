/** @module rules-panel — the organization's alert rules: read-only for members, an editor for admins. */
import {
  ALERT_SEVERITIES,
  CONTAINER_SERIES,
  METRIC_SERIES,
  type AlertOp,
  type AlertRule,
  type AlertSeverity,
  type Host,
  type NotificationChannel,
} from '@hostwire/protocol';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from '../api/endpoints.js';
import { errorMessage } from '../api/http.js';
import { ActionsHeader, EmptyState, ErrorText, Loading } from '../components/bits.js';
import { ConfirmDeleteDialog, Dialog, FormDialogFooter } from '../components/dialog.js';
import { useDraft, useTask } from '../util/hooks.js';
import {
  CONDITION_LABELS,
  CONTAINER_SERIES_LABELS,
  OPS,
  SERIES_LABELS,
  checkRuleDraft,
  describeCondition,
  draftFromRule,
  emptyRuleDraft,
  type ConditionKind,
  type RuleDraft,
} from './alert-forms.js';

function FieldError({ message, id }: { message: string | undefined; id: string }) {
  return message ? (
    <small className="error-text" id={id} data-testid={`rule-error-${id}`}>
      {message}
    </small>
  ) : null;
}

function RuleEditor({
  organizationId,
  rule,
  hosts,
  channels,
  onClose,
  onSaved,
}: {
  organizationId: string;
  rule: AlertRule | null;
  hosts: readonly Host[];
  channels: readonly NotificationChannel[];
  onClose: () => void;
  onSaved: () => void;
}) {
  const { draft, setDraft, errors, setErrors, set } = useDraft<RuleDraft>(() =>
    rule ? draftFromRule(rule) : emptyRuleDraft(),
  );
  const { busy, error, run } = useTask();
  const toggle = (key: 'hostIds' | 'channelIds', id: string) =>
    setDraft((d) => ({
      ...d,
      [key]: d[key].includes(id) ? d[key].filter((x) => x !== id) : [...d[key], id],
    }));
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const checked = checkRuleDraft(draft);
    if (!checked.ok) {
      setErrors(checked.errors);
      return;
    }
    setErrors({});
    await run(async () => {
      if (rule) await api.updateAlertRule(rule.id, checked.body);
      else await api.createAlertRule(organizationId, checked.body);
      onSaved();
    });
  };
  const hasThreshold = draft.kind === 'metric' || draft.kind === 'container_metric';
  const hasContainer = draft.kind === 'container_down' || draft.kind === 'container_metric';
  return (
    <Dialog
      title={rule ? `Edit rule ${rule.name}` : 'New alert rule'}
      onClose={onClose}
      wide
      testId="rule-editor"
      footer={
        <FormDialogFooter
          form="rule-form"
          label="Save rule"
          busy={busy}
          onCancel={onClose}
          testId="rule-save"
        />
      }
    >
      <form id="rule-form" className="form" noValidate onSubmit={(e) => void submit(e)}>
        <label className="field">
          <span>Name</span>
          <input
            data-testid="rule-name"
            value={draft.name}
            aria-invalid={errors.name ? true : undefined}
            onChange={(e) => set('name', e.target.value)}
          />
          <FieldError id="name" message={errors.name} />
        </label>
        <div className="form-row">
          <label className="field">
            <span>Condition</span>
            <select
              data-testid="rule-kind"
              value={draft.kind}
              onChange={(e) => set('kind', e.target.value as ConditionKind)}
            >
              {Object.entries(CONDITION_LABELS).map(([kind, label]) => (
                <option key={kind} value={kind}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          {hasContainer ? (
            <label className="field grow">
              <span>Container (name or glob)</span>
              <input
                data-testid="rule-container"
                value={draft.container}
                placeholder="web-*"
                onChange={(e) => set('container', e.target.value)}
              />
              <FieldError id="container" message={errors.container} />
            </label>
          ) : null}
          {draft.kind === 'metric' ? (
            <label className="field">
              <span>Series</span>
              <select
                data-testid="rule-series"
                value={draft.series}
                onChange={(e) => set('series', e.target.value)}
              >
                {METRIC_SERIES.map((s) => (
                  <option key={s} value={s}>
                    {SERIES_LABELS[s] ?? s}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          {draft.kind === 'container_metric' ? (
            <label className="field">
              <span>Series</span>
              <select value={draft.containerSeries} onChange={(e) => set('containerSeries', e.target.value)}>
                {CONTAINER_SERIES.map((s) => (
                  <option key={s} value={s}>
                    {CONTAINER_SERIES_LABELS[s] ?? s}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          {hasThreshold ? (
            <>
              <label className="field">
                <span>Operator</span>
                <select
                  data-testid="rule-op"
                  value={draft.op}
                  onChange={(e) => set('op', e.target.value as AlertOp)}
                >
                  {OPS.map((op) => (
                    <option key={op} value={op}>
                      {op}
                    </option>
                  ))}
                </select>
              </label>
              <label className="field">
                <span>Threshold</span>
                <input
                  data-testid="rule-threshold"
                  inputMode="decimal"
                  value={draft.threshold}
                  onChange={(e) => set('threshold', e.target.value)}
                />
                <FieldError id="threshold" message={errors.threshold} />
              </label>
            </>
          ) : null}
        </div>
        <div className="form-row">
          <label className="field">
            <span>For (seconds)</span>
            <input
              data-testid="rule-for"
              inputMode="numeric"
              value={draft.forSeconds}
              onChange={(e) => set('forSeconds', e.target.value)}
            />
            <FieldError id="forSeconds" message={errors.forSeconds} />
          </label>
          <label className="field">
            <span>Severity</span>
            <select value={draft.severity} onChange={(e) => set('severity', e.target.value as AlertSeverity)}>
              {ALERT_SEVERITIES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
        </div>
        <fieldset className="field">
          <legend>Hosts</legend>
          <label className="field-check">
            <input
              type="checkbox"
              checked={draft.allHosts}
              onChange={(e) => set('allHosts', e.target.checked)}
            />{' '}
            Every host, present and future
          </label>
          {!draft.allHosts
            ? hosts.map((h) => (
                <label key={h.id} className="field-check">
                  <input
                    type="checkbox"
                    checked={draft.hostIds.includes(h.id)}
                    onChange={() => toggle('hostIds', h.id)}
                  />{' '}
                  {h.name}
                </label>
              ))
            : null}
          <FieldError id="hostIds" message={errors.hostIds} />
        </fieldset>
        <fieldset className="field">
          <legend>Notify</legend>
          {channels.length === 0 ? (
            <small className="hint">No channels yet: add one under Channels.</small>
          ) : null}
          {channels.map((c) => (
            <label key={c.id} className="field-check">
              <input
                type="checkbox"
                data-testid={`rule-channel-${c.name}`}
                checked={draft.channelIds.includes(c.id)}
                onChange={() => toggle('channelIds', c.id)}
              />{' '}
              {c.name} <span className="muted small">({c.type})</span>
            </label>
          ))}
        </fieldset>
        <ErrorText message={errors.form ?? error} testId="rule-form-error" />
      </form>
    </Dialog>
  );
}

/** The rules list; admins create, edit and delete. */
export function RulesPanel({ organizationId, canEdit }: { organizationId: string; canEdit: boolean }) {
  const [rules, setRules] = useState<AlertRule[] | null>(null);
  const [channels, setChannels] = useState<NotificationChannel[]>([]);
  const [hosts, setHosts] = useState<Host[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<AlertRule | 'new' | null>(null);
  const [deleting, setDeleting] = useState<AlertRule | null>(null);
  const load = useCallback(async () => {
    try {
      const [r, c, h] = await Promise.all([
        api.alertRules(organizationId),
        api.channels(organizationId),
        api.hosts(organizationId),
      ]);
      setRules(r.rules);
      setChannels(c.channels);
      setHosts(h.hosts);
      setError(null);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [organizationId]);
  useEffect(() => {
    void load();
  }, [load]);
  const channelName = (id: string) => channels.find((c) => c.id === id)?.name ?? 'deleted channel';
  const hostName = (id: string) => hosts.find((h) => h.id === id)?.name ?? 'deleted host';
  return (
    <div data-testid="rules-panel">
      <div className="toolbar">
        {canEdit ? (
          <button
            type="button"
            className="button primary"
            data-testid="new-rule"
            onClick={() => setEditing('new')}
          >
            New rule
          </button>
        ) : (
          <span className="muted small" data-testid="rules-read-only">
            Rules are read-only for your role; admins change them.
          </span>
        )}
      </div>
      <ErrorText message={error} />
      {rules === null ? (
        error ? null : (
          <Loading label="Loading rules…" />
        )
      ) : rules.length === 0 ? (
        <EmptyState>No alert rules yet.</EmptyState>
      ) : (
        <table className="table" data-testid="rules-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Condition</th>
              <th scope="col">For</th>
              <th scope="col">Hosts</th>
              <th scope="col">Notify</th>
              {canEdit ? <ActionsHeader /> : null}
            </tr>
          </thead>
          <tbody>
            {rules.map((rule) => (
              <tr key={rule.id} data-testid={`rule-row-${rule.name}`}>
                <td className="cell-name" data-label="Name">
                  <span className={`badge severity-${rule.severity}`}>{rule.severity}</span> {rule.name}
                </td>
                <td data-label="Condition">{describeCondition(rule.condition)}</td>
                <td data-label="For">{rule.forSeconds} s</td>
                <td data-label="Hosts">
                  {rule.hostIds === null ? 'every host' : rule.hostIds.map(hostName).join(', ')}
                </td>
                <td data-label="Notify">{rule.channelIds.map(channelName).join(', ') || '—'}</td>
                {canEdit ? (
                  <td className="row-end">
                    <button type="button" className="button small" onClick={() => setEditing(rule)}>
                      Edit
                    </button>{' '}
                    <button type="button" className="button small danger" onClick={() => setDeleting(rule)}>
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
        <RuleEditor
          organizationId={organizationId}
          rule={editing === 'new' ? null : editing}
          hosts={hosts}
          channels={channels}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            void load();
          }}
        />
      ) : null}
      {deleting ? (
        <ConfirmDeleteDialog
          title={`Delete rule ${deleting.name}?`}
          confirmLabel="Delete rule"
          onCancel={() => setDeleting(null)}
          onDelete={async () => {
            await api.deleteAlertRule(deleting.id);
            setDeleting(null);
            await load();
          }}
        >
          <p>Its firing alerts resolve (and are notified as resolved).</p>
        </ConfirmDeleteDialog>
      ) : null}
    </div>
  );
}
