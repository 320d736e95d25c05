// The one scrub function: known secrets (also percent-encoded) and secret-shaped text leave every sink.
import { describe, expect, it } from 'vitest';
import { channelSecrets, scrubSecrets } from './scrub.js';

describe('scrubSecrets', () => {
  it('removes the known secrets of a channel and anything shaped like a secret', () => {
    const config = {
      url: 'https://admin:p%40ss-word@hooks.example.com/services/T000/B000/abcdefghijklmnopqrstuvwx?key=qv-123',
      token: 'tk_live_123456',
    };
    const text = [
      'Headers.append: "Bearer tk_live_123456\r\nX-Evil: 1" is an invalid header value',
      'Request cannot be constructed from a URL that includes credentials: https://admin:p%40ss-word@hooks.example.com/',
      'posting to /services/T000/B000/abcdefghijklmnopqrstuvwx?key=qv-123 failed (p@ss-word)',
      'signed with whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw by hwt_abc-DEF_123',
      'Authorization: Basic dXNlcjpwYXNz',
    ].join('\n');
    const out = scrubSecrets(text, channelSecrets(config));
    for (const secret of [
      'tk_live_123456',
      'p%40ss-word',
      'p@ss-word',
      'abcdefghijklmnopqrstuvwx',
      'qv-123',
      'MfKQ9r8',
      'abc-DEF_123',
      'dXNlcjpwYXNz',
      'admin:',
    ])
      expect(out, secret).not.toContain(secret);
    expect(out).not.toMatch(/[\r\n]/);
    expect(out).toContain('is an invalid header value');
    expect(scrubSecrets('HTTP 500')).toBe('HTTP 500');
  });
});
