/**
 * @module api-tokens — the API tokens of an organization (admins): create one with a name, a role no
 * higher than yours and an optional expiry, copy it while it is shown (once), see when each was last
 * used, revoke with a confirmation. Also how to point Prometheus at the fleet with one.
 */
import {
  ROLES,
  roleAtLeast,
  type ApiToken,
  type CreatedApiToken,
  type Organization,
  type Role,
} from '@hostwire/protocol';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from '../api/endpoints.js';
import { errorMessage } from '../api/http.js';
import { ActionsHeader, DangerButtonCell, ErrorText, Loading } from '../components/bits.js';
import { CopyButton } from '../components/copy-button.js';
import { ConfirmDialog } from '../components/dialog.js';
import { RoleField, TextField } from '../components/field.js';
import { formatAgo, formatDateTime } from '../util/format.js';
import { useTask } from '../util/hooks.js';

const EXPIRIES: readonly { label: string; days: number | undefined }[] = [
  { label: '30 days', days: 30 },
  { label: '90 days', days: 90 },
  { label: '1 year', days: 365 },
  { label: 'Never', days: undefined },
];

function CreateTokenForm({
  organization,
  onCreated,
}: {
  organization: Organization;
  onCreated: (created: CreatedApiToken) => void;
}) {
  const roles = ROLES.filter((r) => roleAtLeast(organization.role, r));
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [expiry, setExpiry] = useState(0);
  const { busy, error, run } = useTask();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      const days = EXPIRIES[expiry]?.days;
      const created = await api.createApiToken(organization.id, {
        name: name.trim(),
        role,
        ...(days === undefined ? {} : { expiresInDays: days }),
      });
      setName('');
      onCreated(created);
    });
  };
  return (
    <form className="card form" data-testid="token-form" onSubmit={(e) => void submit(e)}>
      <h3>New token</h3>
      <div className="form-row">
        <TextField
          label="Name"
          grow
          required
          maxLength={100}
          value={name}
          placeholder="grafana, deploy-ci, …"
          data-testid="token-name"
          onValue={setName}
        />
        <RoleField roles={roles} value={role} onValue={setRole} testId="token-role" />
        <label className="field">
          <span>Expires</span>
          <select
            value={expiry}
            data-testid="token-expiry"
            onChange={(e) => setExpiry(Number(e.target.value))}
          >
            {EXPIRIES.map((option, index) => (
              <option key={option.label} value={index}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <small className="hint">
        A token acts with its role (never above yours) on this organization only, and is audited under its
        name. Prometheus and Grafana need only <code>viewer</code>.
      </small>
      <ErrorText message={error} testId="token-error" />
      <div className="row-end">
        <button type="submit" className="button primary" disabled={busy} data-testid="token-create">
          {busy ? 'Creating…' : 'Create token'}
        </button>
      </div>
    </form>
  );
}

/** The token just created: shown once, with a copy button and a Prometheus scrape example. */
function CreatedToken({
  created,
  organization,
  onDone,
}: {
  created: CreatedApiToken;
  organization: Organization;
  onDone: () => void;
}) {
  const path = `/api/orgs/${organization.id}/prometheus`;
  return (
    <div className="banner banner-info" role="status" data-testid="token-created">
      <p>
        Copy the token <strong>{created.apiToken.name}</strong> now: it is shown only this once.
      </p>
      <p className="row">
        <code className="grow" data-testid="token-value">
          {created.token}
        </code>{' '}
        <CopyButton text={created.token} label="Copy token" testId="token-copy" />
      </p>
      <p className="small">
        Use it as <code>Authorization: Bearer …</code>; for Prometheus, scrape{' '}
        <code>
          {window.location.origin}
          {path}
        </code>{' '}
        with{' '}
        <code>
          authorization: {'{'} type: Bearer, credentials: … {'}'}
        </code>
        .
      </p>
      <button type="button" className="button small" onClick={onDone} data-testid="token-done">
        Done
      </button>
    </div>
  );
}

/** The API tokens section of the organization settings. */
export function ApiTokensSection({ organization }: { organization: Organization }) {
  const [tokens, setTokens] = useState<readonly ApiToken[] | null>(null);
  const [created, setCreated] = useState<CreatedApiToken | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now());

  const load = useCallback(async () => {
    try {
      setTokens((await api.apiTokens(organization.id)).apiTokens);
      setNow(Date.now());
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [organization.id]);

  useEffect(() => {
    void load();
  }, [load]);

  const revoke = async (token: ApiToken) => {
    setError(null);
    try {
      await api.revokeApiToken(token.id);
      setTokens((list) => list?.filter((t) => t.id !== token.id) ?? list);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setRevoking(null);
    }
  };

  return (
    <section aria-labelledby="tokens-title" data-testid="api-tokens">
      <h2 id="tokens-title">API tokens</h2>
      <p className="muted">
        For scripts, CI jobs and Prometheus: <code>Authorization: Bearer hwt_…</code> on this
        organization&apos;s API, no browser session needed.
      </p>
      <ErrorText message={error} testId="tokens-error" />
      {created ? (
        <CreatedToken created={created} organization={organization} onDone={() => setCreated(null)} />
      ) : null}
      {tokens === null ? (
        <Loading />
      ) : tokens.length === 0 ? (
        <p className="muted" data-testid="tokens-empty">
          No tokens yet.
        </p>
      ) : (
        <table className="table" data-testid="tokens-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">Last used</th>
              <ActionsHeader />
            </tr>
          </thead>
          <tbody>
            {tokens.map((token) => {
              const expired = token.expiresAt !== null && token.expiresAt <= now;
              return (
                <tr key={token.id} data-testid={`token-row-${token.id}`}>
                  <td data-label="Name">{token.name}</td>
                  <td data-label="Role">{token.role}</td>
                  <td data-label="Created">
                    {formatDateTime(token.createdAt)}
                    {token.createdBy ? (
                      <span className="muted small"> by {token.createdBy.email}</span>
                    ) : null}
                  </td>
                  <td data-label="Expires">
                    {token.expiresAt === null ? 'never' : formatDateTime(token.expiresAt)}
                    {expired ? <span className="badge"> expired</span> : null}
                  </td>
                  <td data-label="Last used" data-testid={`token-last-used-${token.id}`}>
                    {token.lastUsedAt === null ? 'never' : formatAgo(token.lastUsedAt, now)}
                  </td>
                  <DangerButtonCell
                    label="Revoke"
                    onClick={() => setRevoking(token)}
                    testId={`token-revoke-${token.id}`}
                  />
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {revoking ? (
        <ConfirmDialog
          title={`Revoke the token ${revoking.name}?`}
          confirmLabel="Revoke token"
          danger
          onConfirm={() => void revoke(revoking)}
          onCancel={() => setRevoking(null)}
          confirmTestId="token-revoke-confirm"
        >
          <p>
            Everything using it (scripts, CI, Prometheus) gets 401 from its next request on. This cannot be
            undone; create a new token instead.
          </p>
        </ConfirmDialog>
      ) : null}
      <CreateTokenForm
        organization={organization}
        onCreated={(result) => {
          setCreated(result);
          setTokens((list) => [result.apiToken, ...(list ?? [])]);
        }}
      />
    </section>
  );
}
