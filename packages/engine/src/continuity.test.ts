import type { Conversation } from '@threadline/schema';
import { describe, expect, it } from 'vitest';
import { nextRetryDelay } from './backoff.js';
import { parseDuration } from './clock.js';
import { decideContinuity } from './continuity.js';
import { RateLimiter } from './rate-limiter.js';
import { chooseRoute } from './routing.js';
import { testConversation } from './test/fixtures.js';

const hour = 3_600_000;
const conversation = (status: Conversation['status'], lastMessageAt: string): Conversation =>
  testConversation(lastMessageAt, {
    status,
    resolvedAt: status === 'resolved' ? lastMessageAt : null,
  });
const now = new Date('2026-01-02T12:00:00.000Z');

describe('continuity', () => {
  // The README's table: [case, latest conversation, automated, inbound action, send action].
  const inside = '2026-01-02T06:00:00.000Z';
  const past = '2026-01-01T06:00:00.000Z';
  const table: [string, Conversation | undefined, boolean, string, string][] = [
    ['no conversation', undefined, false, 'open', 'open'],
    ['open inside the window', conversation('open', inside), false, 'join', 'join'],
    ['open past the window', conversation('open', past), false, 'open+expire', 'join'],
    ['resolved inside the window', conversation('resolved', inside), false, 'reopen', 'attach'],
    ['resolved past the window', conversation('resolved', past), false, 'open', 'open'],
    ['automated, resolved inside', conversation('resolved', inside), true, 'attach', 'attach'],
    ['automated, resolved past', conversation('resolved', past), true, 'open', 'attach'],
  ];
  for (const [name, latest, automated, inbound, send] of table) {
    it(`decides "${name}": inbound ${inbound}, send ${send}`, () => {
      const summary = (mode: 'inbound' | 'outbound') => {
        const decision = decideContinuity({ mode, latest, now, windowMs: 24 * hour, automated });
        if (decision.action !== 'open') return decision.action;
        expect(decision.previous).toBe(latest ?? null);
        return decision.expire ? 'open+expire' : 'open';
      };
      expect([summary('inbound'), summary('outbound')]).toEqual([inbound, send]);
    });
  }
  it('opens the first conversation', () => {
    expect(
      decideContinuity({ mode: 'inbound', latest: undefined, now, windowMs: 24 * hour }),
    ).toEqual({
      action: 'open',
      previous: null,
      expire: null,
    });
  });
  it('joins an open conversation inside the window and replaces it after', () => {
    expect(
      decideContinuity({
        mode: 'inbound',
        latest: conversation('open', '2026-01-02T00:00:00.000Z'),
        now,
        windowMs: 24 * hour,
      }).action,
    ).toBe('join');
    const after = decideContinuity({
      mode: 'inbound',
      latest: conversation('open', '2026-01-01T11:59:59.000Z'),
      now,
      windowMs: 24 * hour,
    });
    expect(after).toMatchObject({ action: 'open', previous: { id: 'c1' }, expire: { id: 'c1' } });
  });
  it('reopens a resolved conversation inside the window, but not for an auto-reply', () => {
    const resolved = conversation('resolved', '2026-01-02T11:00:00.000Z');
    expect(
      decideContinuity({ mode: 'inbound', latest: resolved, now, windowMs: 24 * hour }).action,
    ).toBe('reopen');
    expect(
      decideContinuity({
        mode: 'inbound',
        latest: resolved,
        now,
        windowMs: 24 * hour,
        automated: true,
      }).action,
    ).toBe('attach');
    expect(
      decideContinuity({ mode: 'inbound', latest: resolved, now, windowMs: 30 * 60_000 }),
    ).toMatchObject({
      action: 'open',
      previous: { id: 'c1' },
      expire: null,
    });
  });
});

describe('routing', () => {
  const connectors = [
    { connectorId: 'whatsapp', channel: 'whatsapp' },
    { connectorId: 'sms', channel: 'sms' },
    { connectorId: 'email', channel: 'email' },
  ];
  const identity = (channel: string) => ({
    channel,
    address: 'a',
    verified: true,
    source: 'inbound' as const,
    createdAt: '',
  });
  it('prefers the explicit channel, then the latest inbound channel, then preference, then any identity', () => {
    const base = {
      conversation: undefined,
      latestInbound: undefined,
      identities: [identity('email'), identity('sms')],
      channelPreference: [],
      connectors,
    };
    expect(chooseRoute({ ...base, channel: 'email' })).toMatchObject({
      connectorId: 'email',
      reason: 'explicit',
    });
    expect(
      chooseRoute({ ...base, latestInbound: { channel: 'sms', connectorId: 'sms' } }),
    ).toMatchObject({ connectorId: 'sms', reason: 'latest_inbound' });
    expect(chooseRoute({ ...base, channelPreference: ['sms'] })).toMatchObject({
      connectorId: 'sms',
      reason: 'preference',
    });
    expect(chooseRoute(base)).toMatchObject({ connectorId: 'email', reason: 'only_identity' });
    expect(chooseRoute({ ...base, channel: 'telegram' })).toBeUndefined();
  });
});

describe('backoff and rate limits', () => {
  it('grows exponentially with jitter, capped, and honours Retry-After', () => {
    const policy = { baseMs: 1000, maxMs: 10_000, maxAttempts: 5 };
    expect(nextRetryDelay(1, policy, undefined, () => 0)).toBe(500);
    expect(nextRetryDelay(3, policy, undefined, () => 1)).toBe(4000);
    expect(nextRetryDelay(10, policy, undefined, () => 1)).toBe(10_000);
    expect(nextRetryDelay(1, policy, 30_000, () => 1)).toBe(30_000);
  });
  it('lets a burst through, then spaces tokens', () => {
    const limiter = new RateLimiter();
    expect([0, 0].map(() => limiter.take('sms', 2, 0))).toEqual([0, 0]);
    expect(limiter.take('sms', 2, 0)).toBe(500);
    expect(limiter.take('sms', 2, 500)).toBe(0);
  });
  it('parses durations', () => {
    expect(parseDuration('24h')).toBe(24 * hour);
    expect(parseDuration('90m')).toBe(90 * 60_000);
    expect(() => parseDuration('soon')).toThrow(/duration/);
  });
});

describe('ids', () => {
  it('are UUIDv7 and strictly increasing even while the clock stands still', async () => {
    const { createIdGenerator, createManualClock } = await import('./clock.js');
    const clock = createManualClock('2026-01-01T00:00:00.000Z');
    const ids = createIdGenerator(clock);
    const minted = Array.from({ length: 5000 }, () => ids.next());
    expect([...minted].sort()).toEqual(minted);
    expect(new Set(minted).size).toBe(minted.length);
    expect(minted[0]).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(minted[0]!.replace(/-/g, '').slice(0, 12)).toBe(
      new Date('2026-01-01T00:00:00.000Z').getTime().toString(16).padStart(12, '0'),
    );
  });
});
