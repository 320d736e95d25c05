/** @module actions/frame-delivery — delivers action frames now, or after the next reconnect. */
import type { AgentToServer } from '@hostwire/protocol';
import type { LinkSession } from '../connection/agent-link.js';
import type { Logger } from '../log.js';
import type { CommandLedger } from '../outbox/command-ledger.js';

/** Frames kept in memory while offline (started/output), oldest dropped beyond this many bytes. */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

/**
 * `action.started` and `action.output` frames wait in memory while the link is down (bounded);
 * `action.result` frames are written to SQLite first and deleted only once a live socket took them,
 * so a result survives both a disconnect and an agent restart.
 */
export class FrameDelivery {
  private readonly ledger: CommandLedger;
  private readonly log: Logger;
  private session: LinkSession | undefined;
  private queue: string[] = [];
  private queuedBytes = 0;
  private droppedOutput = 0;

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
    const body = JSON.stringify(frame);
    const id = this.ledger.saveFrame(frame.actionId, body);
    this.sendStored(id, body);
  }

  private sendStored(id: number, body: string): void {
    this.session?.sendText(body, (error) => {
      if (!error) this.ledger.removeFrame(id);
    });
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
