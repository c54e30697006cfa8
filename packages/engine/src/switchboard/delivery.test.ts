import type { Message, ThreadlineEvent } from '@threadline/schema';
import { describe, expect, it } from 'vitest';
import type { Integration } from '../ports.js';
import { shouldDeliver } from './delivery.js';

const integration = (id: string, receives: 'active' | 'all'): Integration => ({
  id,
  name: id,
  next: null,
  responseTimeout: null,
  receives,
  createdAt: '2026-03-01T09:00:00.000Z',
  updatedAt: '2026-03-01T09:00:00.000Z',
});
const control = (active: string | null, pending: string | null = null) => ({
  activeIntegrationId: active,
  pendingIntegrationId: pending,
  since: null,
  metadata: null,
});
const message = { conversationId: 'c1' } as Message;
const received = (active: string, pending: string | null = null): ThreadlineEvent => ({
  id: 'e1',
  cursor: 1,
  type: 'message.received',
  time: '2026-03-01T09:00:00.000Z',
  data: { message, control: control(active, pending) },
});
const passed: ThreadlineEvent = {
  id: 'e2',
  cursor: 2,
  type: 'conversation.control_passed',
  time: '2026-03-01T09:00:00.000Z',
  data: { conversationId: 'c1', from: 'bot', to: 'desk', reason: 'api', metadata: null },
};
const sent: ThreadlineEvent = {
  id: 'e3',
  cursor: 3,
  type: 'message.sent',
  time: '2026-03-01T09:00:00.000Z',
  data: { message },
};

describe('who receives what', () => {
  const desk = integration('desk', 'active');
  const logger = integration('logger', 'all');

  it('gives everything to everyone while the switchboard is off, and to consumers that are no integration', () => {
    expect(shouldDeliver({ enabled: false, listener: desk, event: received('bot') })).toBe(true);
    expect(shouldDeliver({ enabled: true, listener: undefined, event: received('bot') })).toBe(
      true,
    );
  });

  it('gives a customer message to the integration in control or pending as of that message', () => {
    expect(shouldDeliver({ enabled: true, listener: desk, event: received('bot') })).toBe(false);
    expect(shouldDeliver({ enabled: true, listener: desk, event: received('desk') })).toBe(true);
    expect(shouldDeliver({ enabled: true, listener: desk, event: received('bot', 'desk') })).toBe(
      true,
    );
    expect(shouldDeliver({ enabled: true, listener: logger, event: received('bot') })).toBe(true);
  });

  it('gives control events to the integrations handing over and receiving', () => {
    expect(shouldDeliver({ enabled: true, listener: desk, event: passed })).toBe(true);
    expect(
      shouldDeliver({ enabled: true, listener: integration('sales', 'active'), event: passed }),
    ).toBe(false);
  });

  it('decides other conversation events by the current control', () => {
    expect(
      shouldDeliver({ enabled: true, listener: desk, event: sent, current: control('bot') }),
    ).toBe(false);
    expect(
      shouldDeliver({ enabled: true, listener: desk, event: sent, current: control('desk') }),
    ).toBe(true);
  });
});
