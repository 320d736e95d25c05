/**
 * @module dialog — a modal built on <dialog>: it focuses its first field (else its first footer button),
 * keeps focus inside, closes on Escape and the close button, and returns focus to its opener.
 * <ConfirmDialog> is the one styled confirmation every destructive step uses (never `window.confirm`);
 * <ConfirmDeleteDialog> runs the deletion itself, busy meanwhile and showing why it failed.
 */
import { useEffect, useId, useRef, type ReactNode } from 'react';
import { useTask } from '../util/hooks.js';
import { ErrorText } from './bits.js';

/** Props of <Dialog>. */
export interface DialogProps {
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** Buttons shown at the bottom. */
  footer?: ReactNode;
  wide?: boolean;
  testId?: string;
}

const FIRST_FIELD =
  '[autofocus], .dialog-body input:not([type=hidden]), .dialog-body select, .dialog-body textarea';

/** A modal dialog, open while mounted. */
export function Dialog({ title, onClose, children, footer, wide, testId }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (dialog && !dialog.open) dialog.showModal();
    // showModal focuses the first focusable element, which is the × button: start where the work is.
    const first =
      dialog?.querySelector<HTMLElement>(FIRST_FIELD) ??
      dialog?.querySelector<HTMLElement>('.dialog-footer button, .dialog-body button');
    first?.focus();
    return () => {
      dialog?.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className={wide ? 'dialog dialog-wide' : 'dialog'}
      aria-labelledby={titleId}
      data-testid={testId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <header className="dialog-header">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </header>
      <div className="dialog-body">{children}</div>
      {footer ? <footer className="dialog-footer">{footer}</footer> : null}
    </dialog>
  );
}

/** Props of <ConfirmDialog>. */
export interface ConfirmDialogProps {
  title: string;
  /** What happens, in plain words. */
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  /** Red confirm button for what cannot be undone. */
  danger?: boolean;
  busy?: boolean;
  error?: string | null;
  testId?: string;
  confirmTestId?: string;
}

/** A styled confirmation: Cancel (focused first) and the confirm button. */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  onConfirm,
  onCancel,
  danger = false,
  busy = false,
  error,
  testId = 'confirm-dialog',
  confirmTestId = 'confirm-button',
}: ConfirmDialogProps) {
  return (
    <Dialog
      title={title}
      onClose={onCancel}
      testId={testId}
      footer={
        <>
          <button type="button" className="button ghost" onClick={onCancel}>
            Cancel
          </button>
          <button
            type="button"
            className={danger ? 'button danger' : 'button primary'}
            disabled={busy}
            onClick={onConfirm}
            data-testid={confirmTestId}
          >
            {busy ? 'Working…' : confirmLabel}
          </button>
        </>
      }
    >
      {children}
      <ErrorText message={error} />
    </Dialog>
  );
}

/** A danger <ConfirmDialog> that runs `onDelete` on confirm, busy meanwhile; a failure shows in the dialog. */
export function ConfirmDeleteDialog({
  title,
  confirmLabel,
  onDelete,
  onCancel,
  children,
}: {
  title: string;
  confirmLabel: string;
  /** Deletes, then closes the dialog (and reloads what it shows). */
  onDelete: () => Promise<void>;
  onCancel: () => void;
  /** What happens, in plain words. */
  children: ReactNode;
}) {
  const task = useTask();
  return (
    <ConfirmDialog
      title={title}
      confirmLabel={confirmLabel}
      danger
      busy={task.busy}
      error={task.error}
      onCancel={onCancel}
      onConfirm={() => void task.run(onDelete)}
    >
      {children}
    </ConfirmDialog>
  );
}

/** The footer of a dialog around a form: Cancel, and the button that submits form `form`. */
export function FormDialogFooter({
  form,
  label,
  busy,
  onCancel,
  testId,
}: {
  form: string;
  label: string;
  busy: boolean;
  onCancel: () => void;
  testId?: string;
}) {
  return (
    <>
      <button type="button" className="button ghost" onClick={onCancel}>
        Cancel
      </button>
      <button type="submit" form={form} className="button primary" disabled={busy} data-testid={testId}>
        {busy ? 'Saving…' : label}
      </button>
    </>
  );
}
