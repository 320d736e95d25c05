/** @module process-table — the top processes of the latest sample, by CPU and by memory. */
import type { MetricsSample, ProcessInfo } from '@hostwire/protocol';
import { formatBytes, formatUptime } from '../../util/format.js';

function Processes({ title, rows, testId }: { title: string; rows: readonly ProcessInfo[]; testId: string }) {
  return (
    <div className="card">
      <h3>{title}</h3>
      <table className="table compact" data-testid={testId}>
        <thead>
          <tr>
            <th scope="col">PID</th>
            <th scope="col">Name</th>
            <th scope="col" className="num">
              CPU
            </th>
            <th scope="col" className="num">
              Memory
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((p) => (
            <tr key={p.pid}>
              <td className="mono">{p.pid}</td>
              <td className="ellipsis" title={p.name}>
                {p.name}
              </td>
              <td className="num">{p.cpu.toFixed(1)}%</td>
              <td className="num">{formatBytes(p.memory)}</td>
            </tr>
          ))}
          {rows.length === 0 ? (
            <tr>
              <td colSpan={4} className="muted">
                None reported.
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </div>
  );
}

/** Both top-process tables, or a waiting note before the first live sample. */
export function ProcessTables({ sample }: { sample: MetricsSample | null }) {
  if (!sample) {
    return <p className="muted">Top processes appear with the next live sample (the host must be online).</p>;
  }
  return (
    <>
      <p className="muted small" data-testid="process-summary">
        {sample.processes.count} processes · up {formatUptime(sample.uptime)} · {sample.cpu.cores.length}{' '}
        cores · memory {formatBytes(sample.memory.used)} of {formatBytes(sample.memory.total)}
      </p>
      <div className="grid-2">
        <Processes title="Top by CPU" rows={sample.processes.topCpu} testId="processes-cpu" />
        <Processes title="Top by memory" rows={sample.processes.topMemory} testId="processes-memory" />
      </div>
    </>
  );
}
