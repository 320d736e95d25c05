/** @module action-run-panel — one action run: live status and output over `action:<id>`, cancel button. */
import { FINAL_ACTION_STATUSES, topicFor, type ActionRecord, type ActionStatus } from '@hostwire/protocol';
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../../api/endpoints.js';
import { errorMessage } from '../../api/http.js';
import { ErrorText } from '../../components/bits.js';
import { useRealtimeMessages, useResync, useTopic } from '../../realtime/realtime-context.js';
import { formatDateTime } from '../../util/format.js';
import { appendOutput, mergeOutput, OUTPUT_CAP, type BoundedOutput } from './output.js';

/** Whether a status is final (no more output or transitions). */
export function isFinal(status: ActionStatus): boolean {
  return FINAL_ACTION_STATUSES.includes(status);
}

interface RunState {
  action: string;
  status: ActionStatus | null;
  exitCode: number | null;
  error: string | null;
  createdAt: number | null;
}

/** Props of <ActionRunPanel>. */
export interface ActionRunPanelProps {
  actionId: string;
  actionName: string;
  canCancel: boolean;
  onClose: () => void;
  /** Told when the run reaches a final status (to refresh the history). */
  onFinished: () => void;
}

/** Live view of one action run. */
export function ActionRunPanel({
  actionId,
  actionName,
  canCancel,
  onClose,
  onFinished,
}: ActionRunPanelProps) {
  const [run, setRun] = useState<RunState>({
    action: actionName,
    status: null,
    exitCode: null,
    error: null,
    createdAt: null,
  });
  const [output, setOutput] = useState<BoundedOutput>({ text: '', truncated: false });
  const [error, setError] = useState<string | null>(null);
  const pre = useRef<HTMLPreElement>(null);
  const panel = useRef<HTMLElement>(null);
  const finishedRef = useRef(onFinished);
  useEffect(() => {
    finishedRef.current = onFinished;
  });

  const applyRecord = useCallback((record: ActionRecord) => {
    setRun({
      action: record.action,
      status: record.status,
      exitCode: record.exitCode,
      error: record.error,
      createdAt: record.createdAt,
    });
    const stored = record.output;
    if (stored !== undefined) {
      setOutput((current) => {
        const merged = isFinal(record.status) ? stored : mergeOutput(stored, current.text);
        return appendOutput({ text: '', truncated: record.outputTruncated }, merged, OUTPUT_CAP);
      });
    }
  }, []);

  const load = useCallback(async () => {
    try {
      applyRecord((await api.action(actionId)).action);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [actionId, applyRecord]);

  useEffect(() => {
    void load();
  }, [load]);

  useTopic(topicFor.action(actionId));
  useRealtimeMessages((message) => {
    if (message.type === 'action.output' && message.actionId === actionId) {
      setOutput((current) => appendOutput(current, message.data));
    } else if (message.type === 'action.status' && message.actionId === actionId) {
      setRun((r) => ({ ...r, status: message.status, exitCode: message.exitCode, error: message.error }));
      if (isFinal(message.status)) {
        // The stored output is complete once the run is over; it replaces what streamed in.
        void load();
        finishedRef.current();
      }
    }
  });
  useResync((topics) => {
    if (topics === null || topics.includes(topicFor.action(actionId))) void load();
  });

  useEffect(() => {
    const element = pre.current;
    if (element) element.scrollTop = element.scrollHeight;
  }, [output]);

  // A run started lower down the page must not print out of view.
  useEffect(() => {
    panel.current?.scrollIntoView({ block: 'nearest' });
  }, []);

  const cancel = async () => {
    try {
      applyRecord((await api.cancelAction(actionId)).action);
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const status = run.status;
  const running = status !== null && !isFinal(status);
  return (
    <section
      ref={panel}
      className="card run-panel"
      aria-label={`Run of ${run.action}`}
      data-testid="action-run-panel"
      data-action-id={actionId}
    >
      <header className="run-head">
        <h3>
          {run.action} <span className="muted small">{formatDateTime(run.createdAt)}</span>
        </h3>
        <span
          className={`badge status-${status ?? 'queued'}`}
          data-testid="action-status"
          data-status={status ?? ''}
        >
          {status ?? 'starting'}
          {run.exitCode !== null ? ` · exit ${run.exitCode}` : ''}
        </span>
        <span className="spacer" />
        {running && canCancel ? (
          <button
            type="button"
            className="button small danger"
            data-testid="action-cancel"
            onClick={() => void cancel()}
          >
            Stop run
          </button>
        ) : null}
        <button type="button" className="button small ghost" onClick={onClose}>
          Close
        </button>
      </header>
      {run.error ? <p className="error-text">{run.error}</p> : null}
      <ErrorText message={error} />
      {output.truncated ? (
        <p className="muted small">Earlier output was cut; the newest part is shown.</p>
      ) : null}
      <pre ref={pre} className="terminal" data-testid="action-output" aria-live="polite">
        {output.text || (running ? 'Waiting for output…' : '(no output)')}
      </pre>
    </section>
  );
}
