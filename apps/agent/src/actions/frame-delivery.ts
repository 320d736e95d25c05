/** @module actions/frame-delivery — delivers action frames now, or after the next reconnect. */
import type { AgentToServer } from '@hostwire/protocol';
import type { LinkSession } from '../connection/agent-link.js';
import type { Logger } from '../log.js';
import type { CommandLedger } from '../outbox/command-ledger.js';

/** Frames kept in memory while offline (started/output), oldest dropped beyond this many bytes. */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

/**
 * `action.started` and `action.output` frames wait in memory while the link is down (bounded);
 * `action.result` frames are written to the state dir first, carry a request id, and are deleted only when the
 * server acknowledges that id (it answers once the result is stored), so a result survives a dropped
 * link, even one that drops right after the frame left, and an agent restart.
 */
/** The request id of an action's result frame (one result per action). */
export function resultRequestId(actionId: string): string {
  return `result:${actionId}`;
}

export class FrameDelivery {
  private readonly ledger: CommandLedger;
  private readonly log: Logger;
  private session: LinkSession | undefined;
  private queue: string[] = [];
  private queuedBytes = 0;
  private droppedOutput = 0;
  /** Result frames sent and not yet acknowledged: request id → ledger row. */
  private readonly awaiting = new Map<string, number>();

  constructor(ledger: CommandLedger, log: Logger) {
    this.ledger = ledger;
    this.log = log;
  }

  /** A welcomed connection: send what waited, in order (memory queue first, then stored results). */
  attach(session: LinkSession): void {
    this.session = session;
    const queued = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    if (this.droppedOutput > 0)
      this.log.warn(`dropped ${this.droppedOutput} bytes of action output while offline`);
    this.droppedOutput = 0;
    for (const text of queued) this.sendOrQueue(text);
    for (const frame of this.ledger.pendingFrames()) this.sendStored(frame.id, frame.body);
  }

  detach(): void {
    this.session = undefined;
  }

  /** Sends a started/output frame, or keeps it for the next connection. */
  send(frame: AgentToServer): void {
    this.sendOrQueue(JSON.stringify(frame));
  }

  /** Persists a result frame, then tries to deliver it. */
  sendResult(frame: Extract<AgentToServer, { type: 'action.result' }>): void {
    const body = JSON.stringify({ ...frame, id: resultRequestId(frame.actionId) });
    const id = this.ledger.saveFrame(frame.actionId, body);
    this.sendStored(id, body);
  }

  /** The server answered a request id (`ack`, or `error` when it refused the frame): the result is settled. */
  settle(requestId: string): boolean {
    const stored = this.awaiting.get(requestId);
    if (stored === undefined) return false;
    this.awaiting.delete(requestId);
    this.ledger.removeFrame(stored);
    return true;
  }

  private sendStored(id: number, body: string): void {
    const requestId = (JSON.parse(body) as { id?: unknown }).id;
    if (typeof requestId === 'string') this.awaiting.set(requestId, id);
    this.session?.sendText(body);
  }

  private sendOrQueue(text: string): void {
    if (this.session?.sendText(text)) return;
    this.queue.push(text);
    this.queuedBytes += text.length;
    while (this.queuedBytes > MAX_QUEUED_BYTES && this.queue.length > 0) {
      const dropped = this.queue.shift() ?? '';
      this.queuedBytes -= dropped.length;
      this.droppedOutput += dropped.length;
    }
  }
}
