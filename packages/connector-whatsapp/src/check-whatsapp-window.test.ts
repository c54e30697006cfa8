import type { Content } from '@threadline/schema';
import { describe, expect, it } from 'vitest';
import { checkWhatsAppWindow } from './check-whatsapp-window.js';

const lastInboundAt = new Date('2026-11-20T10:00:00.000Z');
const hoursLater = (hours: number) => new Date(lastInboundAt.getTime() + hours * 3_600_000);
const text: Content = { type: 'text', text: 'Your parcel is on its way' };
const template: Content = {
  type: 'template',
  name: 'order_update',
  language: 'en_US',
  parameters: ['1042'],
};

describe('checkWhatsAppWindow', () => {
  it('lets a text through 23 hours after the customer last wrote', () => {
    expect(
      checkWhatsAppWindow({ content: text, lastInboundAt, now: hoursLater(23) }),
    ).toBeUndefined();
  });

  it('refuses a text 25 hours after, with a permanent route_refused', () => {
    const refusal = checkWhatsAppWindow({ content: text, lastInboundAt, now: hoursLater(25) });
    expect(refusal).toMatchObject({
      code: 'route_refused',
      retryable: false,
      details: {
        rule: 'whatsapp_customer_service_window',
        lastInboundAt: '2026-11-20T10:00:00.000Z',
        windowClosedAt: '2026-11-21T10:00:00.000Z',
      },
    });
    expect(refusal?.message).toContain('only a template may be sent');
  });

  it('closes the window at exactly 24 hours', () => {
    expect(checkWhatsAppWindow({ content: text, lastInboundAt, now: hoursLater(24) })?.code).toBe(
      'route_refused',
    );
  });

  it('refuses a text to a customer who never wrote', () => {
    const refusal = checkWhatsAppWindow({ content: text, lastInboundAt: null, now: hoursLater(1) });
    expect(refusal).toMatchObject({ code: 'route_refused', retryable: false });
    expect(refusal?.message).toContain('never written');
  });

  it('always lets a template through: at 23 h, at 25 h and to a customer who never wrote', () => {
    for (const check of [
      { lastInboundAt, now: hoursLater(23) },
      { lastInboundAt, now: hoursLater(25) },
      { lastInboundAt: null, now: hoursLater(25) },
    ]) {
      expect(checkWhatsAppWindow({ ...check, content: template })).toBeUndefined();
    }
  });

  it('refuses every other kind of content outside the window', () => {
    const others: Content[] = [
      { type: 'media', kind: 'image', url: 'https://media.example.com/label.png' },
      { type: 'interactive', text: 'Pick', buttons: [{ id: 'a', title: 'A' }] },
      { type: 'location', latitude: 1, longitude: 2 },
      { type: 'reaction', emoji: '👍', targetId: 'wamid.x' },
    ];
    for (const content of others) {
      expect(checkWhatsAppWindow({ content, lastInboundAt, now: hoursLater(25) })?.code).toBe(
        'route_refused',
      );
    }
  });
});
