import { describe, expect, it } from 'vitest';
import { mapTwilioStatus } from './map-twilio-status.js';

describe('mapTwilioStatus', () => {
  it.each([
    ['accepted', 'queued'],
    ['scheduled', 'queued'],
    ['queued', 'queued'],
    ['sending', 'sent'],
    ['sent', 'sent'],
    ['delivered', 'delivered'],
    ['read', 'read'],
    ['undelivered', 'failed'],
    ['failed', 'failed'],
    ['canceled', 'failed'],
  ] as const)('maps %s to %s', (twilioStatus, expected) => {
    expect(mapTwilioStatus(twilioStatus)).toBe(expected);
  });

  it('reads statuses in any case', () => {
    expect(mapTwilioStatus('Delivered')).toBe('delivered');
  });

  it('does not map inbound or unknown statuses', () => {
    expect(mapTwilioStatus('received')).toBeUndefined();
    expect(mapTwilioStatus('receiving')).toBeUndefined();
    expect(mapTwilioStatus('teleported')).toBeUndefined();
  });
});
