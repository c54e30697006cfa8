import { describe, expect, it } from 'vitest';
import { defaultNotificationDefaults, resolvePreferences } from './preferences.js';

const defaults = {
  ...defaultNotificationDefaults,
  timezone: 'Europe/Paris',
  quietHours: { start: '21:00', end: '07:00' },
};

describe('resolvePreferences', () => {
  it('unset fields fall back to the deployment defaults and the contact channel preference', () => {
    expect(resolvePreferences(undefined, defaults, 'orders', ['sms'])).toEqual({
      timezone: 'Europe/Paris',
      quietHours: { start: '21:00', end: '07:00' },
      channels: ['sms'],
      categoryOptOut: false,
      categoryChannels: undefined,
    });
  });

  it('set fields win, per category', () => {
    const resolved = resolvePreferences(
      {
        timezone: 'Asia/Shanghai',
        quietHours: null,
        channels: ['telegram'],
        categories: { orders: { optOut: true }, billing: { channels: ['email'] } },
      },
      defaults,
      'billing',
      ['sms'],
    );
    expect(resolved).toEqual({
      timezone: 'Asia/Shanghai',
      quietHours: null,
      channels: ['telegram'],
      categoryOptOut: false,
      categoryChannels: ['email'],
    });
    expect(
      resolvePreferences({ categories: { orders: { optOut: true } } }, defaults, 'orders', [])
        .categoryOptOut,
    ).toBe(true);
  });
});
