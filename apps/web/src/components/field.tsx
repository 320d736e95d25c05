/** @module field — labelled form fields: the `.field` label with its words above the control. */
import type { Role } from '@hostwire/protocol';
import type { InputHTMLAttributes, ReactNode } from 'react';

/** Props of <TextField>: the input's own attributes, less `onChange` (see `onValue`). */
export interface TextFieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'onChange' | 'value'> {
  label: string;
  value: string;
  onValue: (value: string) => void;
  /** Takes the free width of its `.form-row`. */
  grow?: boolean;
  /** A line of help under the input. */
  hint?: ReactNode;
}

/** `<label class="field"><span>{label}</span><input …/></label>`, the input bound to `value`/`onValue`. */
export function TextField({ label, value, onValue, grow = false, hint, ...input }: TextFieldProps) {
  return (
    <label className={grow ? 'field grow' : 'field'}>
      <span>{label}</span>
      <input {...input} value={value} onChange={(e) => onValue(e.target.value)} />
      {hint === undefined ? null : <small className="hint">{hint}</small>}
    </label>
  );
}

/** A labelled "Role" select offering `roles`. */
export function RoleField({
  roles,
  value,
  onValue,
  testId,
}: {
  roles: readonly Role[];
  value: Role;
  onValue: (role: Role) => void;
  testId?: string;
}) {
  return (
    <label className="field">
      <span>Role</span>
      <select value={value} data-testid={testId} onChange={(e) => onValue(e.target.value as Role)}>
        {roles.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
    </label>
  );
}
