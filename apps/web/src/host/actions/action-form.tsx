/** @module action-form — a form generated from an action's parameters, with confirmation for dangerous ones. */
import type { ActionDescriptor, ActionParams, ActionParamSpec } from '@hostwire/protocol';
import { useId, useState, type FormEvent } from 'react';
import { ErrorText } from '../../components/bits.js';
import { ConfirmDialog } from '../../components/dialog.js';
import { checkForm, describeSpec, initialValues, type FormValues } from './param-form.js';

function ParamInput({
  name,
  spec,
  value,
  error,
  onChange,
}: {
  name: string;
  spec: ActionParamSpec;
  value: string | boolean;
  error: string | undefined;
  onChange: (value: string | boolean) => void;
}) {
  const id = useId();
  const hint = describeSpec(spec);
  const described =
    [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const common = { id, name, 'aria-invalid': error ? true : undefined, 'aria-describedby': described };
  let input;
  if (spec.type === 'boolean') {
    input = (
      <input
        type="checkbox"
        {...common}
        checked={value === true}
        onChange={(e) => onChange(e.target.checked)}
      />
    );
  } else if (spec.enum) {
    input = (
      <select
        {...common}
        value={String(value)}
        required={spec.required}
        onChange={(e) => onChange(e.target.value)}
      >
        {spec.required ? null : <option value="">(none)</option>}
        {spec.enum.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    );
  } else if (spec.type === 'integer') {
    input = (
      <input
        type="number"
        inputMode="numeric"
        step={1}
        min={spec.min}
        max={spec.max}
        required={spec.required}
        {...common}
        value={String(value)}
        onChange={(e) => onChange(e.target.value)}
      />
    );
  } else {
    input = (
      <input
        type="text"
        maxLength={spec.maxLength}
        required={spec.required}
        {...common}
        value={String(value)}
        onChange={(e) => onChange(e.target.value)}
      />
    );
  }
  return (
    <div className={spec.type === 'boolean' ? 'field field-check' : 'field'}>
      <label htmlFor={id}>{name}</label>
      {input}
      {hint ? (
        <small id={`${id}-hint`} className="hint">
          {hint}
        </small>
      ) : null}
      {error ? (
        <small id={`${id}-error`} className="error-text">
          {error}
        </small>
      ) : null}
    </div>
  );
}

/** Props of <ActionForm>; `onRun` returns an error message to show, or null. */
export interface ActionFormProps {
  action: ActionDescriptor;
  onRun: (params: ActionParams) => Promise<string | null>;
  /** Why Run is disabled now (host offline or stale), or null. */
  blockedReason: string | null;
}

/** The run form of one action. */
export function ActionForm({ action, onRun, blockedReason }: ActionFormProps) {
  const [values, setValues] = useState<FormValues>(() => initialValues(action));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [confirming, setConfirming] = useState<ActionParams | null>(null);
  const [runError, setRunError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (params: ActionParams) => {
    setConfirming(null);
    setBusy(true);
    setRunError(null);
    setRunError(await onRun(params));
    setBusy(false);
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (blockedReason) return;
    const check = checkForm(action, values);
    if (!check.ok) {
      setErrors(check.errors);
      return;
    }
    setErrors({});
    if (action.dangerous) setConfirming(check.params);
    else void run(check.params);
  };

  const entries = Object.entries(action.params);
  return (
    <form
      className="form action-form"
      onSubmit={submit}
      noValidate
      data-testid={`action-form-${action.name}`}
    >
      {entries.map(([name, spec]) => (
        <ParamInput
          key={name}
          name={name}
          spec={spec}
          value={values[name] ?? ''}
          error={errors[name]}
          onChange={(value) => setValues((v) => ({ ...v, [name]: value }))}
        />
      ))}
      <ErrorText message={errors[''] ?? runError} />
      <div className="row-end">
        {blockedReason ? (
          <span className="muted small" id={`run-blocked-${action.name}`} data-testid="run-blocked">
            {blockedReason}
          </span>
        ) : null}
        <button
          type="submit"
          className={action.dangerous ? 'button danger' : 'button primary'}
          disabled={busy || blockedReason !== null}
          aria-describedby={blockedReason ? `run-blocked-${action.name}` : undefined}
          data-testid={`action-run-${action.name}`}
        >
          {busy ? 'Starting…' : `Run ${action.name}`}
        </button>
      </div>
      {confirming ? (
        <ConfirmDialog
          title={`Run ${action.name}?`}
          confirmLabel="Run it"
          danger
          onConfirm={() => void run(confirming)}
          onCancel={() => setConfirming(null)}
          confirmTestId="confirm-run"
        >
          <p>
            <strong>{action.name}</strong> is marked as dangerous. {action.description}
          </p>
          {Object.keys(confirming).length > 0 ? (
            <pre className="params-preview">{JSON.stringify(confirming, null, 2)}</pre>
          ) : null}
        </ConfirmDialog>
      ) : null}
    </form>
  );
}
