import { describe, expect, it } from 'vitest';
import {
  expiryRule,
  firstObjection,
  frequencyCapRule,
  liveConversationRule,
  optOutRule,
  quietHoursRule,
} from './notification-rules.js';

const now = new Date('2026-03-10T15:30:00.000Z');
const at = (iso: string) => new Date(iso);

describe('expiryRule', () => {
  it.each([
    [null, 'send'],
    ['2026-03-10T15:30:00.000Z', 'suppress'],
    ['2026-03-10T15:29:00.000Z', 'suppress'],
    ['2026-03-10T15:31:00.000Z', 'send'],
  ])('expiresAt %s → %s', (expiresAt, action) => {
    const outcome = expiryRule({ now, expiresAt: expiresAt ? at(expiresAt) : null });
    expect(outcome.action).toBe(action);
    if (outcome.action === 'suppress') expect(outcome.reason).toBe('expired');
  });
});

describe('optOutRule', () => {
  it.each([
    [true, 'suppress'],
    [false, 'send'],
  ])('opted out %s → %s', (categoryOptOut, action) => {
    expect(optOutRule({ categoryOptOut })).toEqual(
      action === 'send' ? { action } : { action, reason: 'opted_out' },
    );
  });
});

describe('quietHoursRule', () => {
  const quietHours = { start: '22:00', end: '08:00' };
  it.each([
    [
      false,
      'Asia/Shanghai',
      { action: 'defer', until: at('2026-03-11T00:00:00.000Z'), reason: 'quiet_hours' },
    ],
    [true, 'Asia/Shanghai', { action: 'send' }], // critical bypasses quiet hours
    [false, 'Europe/London', { action: 'send' }], // 15:30 in London
  ])('critical %s in %s', (critical, timezone, expected) => {
    expect(quietHoursRule({ now, critical, timezone, quietHours })).toEqual(expected);
  });
});

describe('liveConversationRule', () => {
  const windowMs = 5 * 60_000;
  it.each([
    [
      'defer',
      false,
      '2026-03-10T15:28:00.000Z',
      { action: 'defer', until: at('2026-03-10T15:33:00.000Z'), reason: 'in_conversation' },
    ],
    [
      'suppress',
      false,
      '2026-03-10T15:28:00.000Z',
      { action: 'suppress', reason: 'in_conversation' },
    ],
    ['send', false, '2026-03-10T15:28:00.000Z', { action: 'send' }],
    ['defer', true, '2026-03-10T15:28:00.000Z', { action: 'send' }], // critical
    ['defer', false, '2026-03-10T15:20:00.000Z', { action: 'send' }], // quiet for 10 minutes
    ['defer', false, null, { action: 'send' }], // never wrote
  ] as const)('policy %s, critical %s, last wrote %s', (policy, critical, last, expected) => {
    expect(
      liveConversationRule({
        now,
        critical,
        lastInboundAt: last ? at(last) : null,
        windowMs,
        policy,
      }),
    ).toEqual(expected);
  });
});

describe('frequencyCapRule', () => {
  const cap = { limit: 2, windowMs: 86_400_000 };
  it.each([
    [false, cap, 0, 'send'],
    [false, cap, 1, 'send'],
    [false, cap, 2, 'suppress'],
    [true, cap, 5, 'send'], // critical bypasses the cap
    [false, null, 99, 'send'],
  ] as const)('critical %s cap %j with %i sent → %s', (critical, c, sentInWindow, action) => {
    const outcome = frequencyCapRule({ critical, cap: c, sentInWindow });
    expect(outcome.action).toBe(action);
    if (outcome.action === 'suppress') expect(outcome.reason).toBe('frequency_cap');
  });
});

describe('firstObjection', () => {
  it('the first rule that objects decides, later ones are not asked', () => {
    let asked = false;
    const outcome = firstObjection([
      () => ({ action: 'send' }),
      () => ({ action: 'suppress', reason: 'opted_out' }),
      () => {
        asked = true;
        return { action: 'send' };
      },
    ]);
    expect(outcome).toEqual({ action: 'suppress', reason: 'opted_out' });
    expect(asked).toBe(false);
  });
});
