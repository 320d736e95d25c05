// Signing against the Standard Webhooks spec vector, URL masking, the allow-list and the retry schedule.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { maskUrl } from '@hostwire/protocol';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { retryDelay } from './delivery.js';
import { createSenders, hostAllowed } from './senders.js';

const alertsConfig = {
  allowedHosts: undefined,
  sweepMs: 1000,
  deliveryTimeoutMs: 2000,
  deliveryConcurrency: 4,
  retryBaseMs: 5000,
  retryForMs: 25 * 3600_000,
  containerGoneMs: 600_000,
  maxContainerEvaluationsPerSample: 128_000,
  maxOpenPerEvaluation: 100,
};

describe('Standard Webhooks 1.0', () => {
  it('matches the spec test vector', () => {
    // https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md (libraries' shared vector)
    const wh = new Webhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    const signature = wh.sign(
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      new Date(1614265330 * 1000),
      '{"test": 2432232314}',
    );
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('sends webhook-id, webhook-timestamp and a v1 signature over id.timestamp.body', async () => {
    let seen: { headers: http.IncomingHttpHeaders; body: string } | undefined;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen = { headers: req.headers, body };
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const secret = `whsec_${Buffer.alloc(24, 1).toString('base64')}`;
      const senders = createSenders({ alerts: alertsConfig, smtp: undefined });
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const body = JSON.stringify({ type: 'test', message: 'hi' });
      const result = await senders.send('webhook', { url, secret }, 'msg_abc', body);
      expect(result).toEqual({ ok: true, statusCode: 200, error: null });
      expect(seen?.body).toBe(body);
      const ts = Number(seen?.headers['webhook-timestamp']);
      expect(Math.abs(ts - Date.now() / 1000)).toBeLessThan(5);
      const key = Buffer.from(secret.slice(6), 'base64');
      const { createHmac } = await import('node:crypto');
      const expected = createHmac('sha256', key).update(`msg_abc.${ts}.${body}`).digest('base64');
      expect(seen?.headers['webhook-signature']).toBe(`v1,${expected}`);
      expect(seen?.headers['webhook-id']).toBe('msg_abc');
    } finally {
      server.close();
    }
  });

  it('refuses non-http(s) targets and hosts outside ALERT_ALLOWED_HOSTS without connecting', async () => {
    const senders = createSenders({
      alerts: { ...alertsConfig, allowedHosts: ['hooks.example.com'] },
      smtp: undefined,
    });
    const body = JSON.stringify({ type: 'test' });
    expect(await senders.send('slack', { url: 'ftp://x.example.com/' }, 'msg_1', body)).toMatchObject({
      ok: false,
      error: 'only http(s) URLs are allowed',
    });
    expect(await senders.send('slack', { url: 'http://127.0.0.1:9/' }, 'msg_1', body)).toMatchObject({
      ok: false,
      error: 'the host is not in ALERT_ALLOWED_HOSTS',
    });
  });
});

describe('hostAllowed', () => {
  it('allows everything without a list, exact names and *.suffix with one', () => {
    expect(hostAllowed(undefined, 'http://10.0.0.1/')).toBe(true);
    const list = ['ntfy.sh', '*.example.com', '[::1]'];
    expect(hostAllowed(list, 'https://ntfy.sh/topic')).toBe(true);
    expect(hostAllowed(list, 'https://a.b.example.com/x')).toBe(true);
    expect(hostAllowed(list, 'https://example.com.evil.io/x')).toBe(false);
    expect(hostAllowed(list, 'https://evilexample.com/x')).toBe(false);
    expect(hostAllowed(list, 'http://[::1]:8080/')).toBe(true);
    expect(hostAllowed(list, 'http://169.254.169.254/')).toBe(false);
  });
});

describe('maskUrl', () => {
  it('hides credentials, query values and long path tokens', () => {
    expect(maskUrl('https://u:p@hooks.slack.com/services/T000/B000/abcdefghijklmnopqrstuvwx?token=abc')).toBe(
      'https://***@hooks.slack.com/services/T000/B000/abcd…?token=***',
    );
    expect(maskUrl('https://ntfy.sh/alerts')).toBe('https://ntfy.sh/alerts');
  });
});

describe('retryDelay', () => {
  it('retries first within the base delay, doubles, caps at an hour, and jitters', () => {
    expect(retryDelay(5000, 1, 1)).toBe(5000);
    expect(retryDelay(5000, 1, 0)).toBe(2500);
    expect(retryDelay(5000, 2, 1)).toBe(10_000);
    expect(retryDelay(5000, 30, 1)).toBe(3600_000);
    // At least 24 h of retries before ALERT_RETRY_HOURS (25 by default) gives up: count the attempts.
    let elapsed = 0;
    let attempts = 0;
    while (elapsed + retryDelay(5000, attempts + 1, 1) <= 25 * 3600_000)
      elapsed += retryDelay(5000, ++attempts, 1);
    expect(elapsed).toBeGreaterThanOrEqual(24 * 3600_000);
    expect(attempts).toBeGreaterThan(20);
  });
});
