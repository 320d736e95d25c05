/** @module test-support/webhook-receiver — a real HTTP receiver that verifies Standard Webhooks signatures. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedHook {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown>;
  /** True when the signature verified with the receiver's secret (false without one). */
  verified: boolean;
  status: number;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedHook[];
  /** The key to verify with (set after the channel was created). */
  secret: string | undefined;
  /**
   * Decides the answer to each request: a status, a status given after a while (a slow receiver), or
   * 'hang' (never answers). Default 200.
   */
  respond: (
    hook: Omit<ReceivedHook, 'status'>,
    index: number,
  ) => number | 'hang' | { status: number; afterMs: number };
  /** The most requests this receiver held open at once. */
  maxConcurrent: number;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const hanging = new Set<http.ServerResponse>();
  const receiver: WebhookReceiver = {
    url: '',
    received: [],
    secret: undefined,
    respond: () => 200,
    maxConcurrent: 0,
    close: () => Promise.resolve(),
  };
  let open = 0;
  const server = http.createServer((req, res) => {
    open += 1;
    receiver.maxConcurrent = Math.max(receiver.maxConcurrent, open);
    let counted = true;
    const done = () => {
      if (counted) open -= 1;
      counted = false;
    };
    res.on('close', done);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let verified = false;
      if (receiver.secret) {
        try {
          new Webhook(receiver.secret).verify(body, {
            'webhook-id': String(req.headers['webhook-id']),
            'webhook-timestamp': String(req.headers['webhook-timestamp']),
            'webhook-signature': String(req.headers['webhook-signature']),
          });
          verified = true;
        } catch {
          verified = false;
        }
      }
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        json = {};
      }
      const hook = { path: req.url ?? '', headers: req.headers, body, json, verified };
      const answer = receiver.respond(hook, receiver.received.length);
      const status = answer === 'hang' ? 0 : typeof answer === 'number' ? answer : answer.status;
      receiver.received.push({ ...hook, status });
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      const reply = () => {
        done();
        res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
      };
      if (typeof answer === 'number') reply();
      else {
        hanging.add(res);
        setTimeout(() => {
          hanging.delete(res);
          if (!res.destroyed) reply();
        }, answer.afterMs);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      for (const res of hanging) res.destroy();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return receiver;
}
