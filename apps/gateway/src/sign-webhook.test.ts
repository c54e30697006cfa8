import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { createWebhookSigner } from './sign-webhook.js';

describe('createWebhookSigner', () => {
  it('signs as the standardwebhooks library does, for any secret, id and body', () => {
    for (let round = 0; round < 50; round++) {
      const secret = `whsec_${randomBytes(8 + round).toString('base64')}`;
      const id = `msg_${randomBytes(6).toString('hex')}`;
      const at = new Date(1_780_000_000_000 + round * 1_234_567);
      const body = JSON.stringify({ round, text: `héllo ✓ ${'x'.repeat(round * 7)}` });
      expect(createWebhookSigner(secret)(id, at, body)).toBe(
        new Webhook(secret).sign(id, at, body),
      );
    }
  });

  it('refuses an empty secret', () => {
    expect(() => createWebhookSigner('whsec_')).toThrow(/empty/);
  });
});
