import { describe, expect, it } from 'vitest';
import {
  accept,
  activeAnswered,
  customerWrote,
  decideSend,
  offer,
  openControl,
  pass,
  timeoutDue,
} from './control-transitions.js';

const now = '2026-03-01T09:00:00.000Z';
const later = '2026-03-01T09:05:00.000Z';
const opened = openControl('conversation-1', 'bot', now).control;

describe('control transitions', () => {
  it('opens with the default integration in control, reason new_conversation', () => {
    const { control, event } = openControl('conversation-1', 'bot', now);
    expect(control).toMatchObject({ activeIntegrationId: 'bot', since: now, metadata: null });
    expect(event?.data).toMatchObject({ from: null, to: 'bot', reason: 'new_conversation' });
  });

  it('passes at once, carrying metadata and dropping a pending offer', () => {
    const offered = offer(opened, 'sales', null, now).control;
    const { control, event } = pass(offered, 'desk', { intent: 'refund' }, 'api', later);
    expect(control).toMatchObject({
      activeIntegrationId: 'desk',
      pendingIntegrationId: null,
      since: later,
      metadata: { intent: 'refund' },
    });
    expect(event?.data).toMatchObject({ from: 'bot', to: 'desk', reason: 'api' });
  });

  it('keeps control with the offering integration until the offered one accepts', () => {
    const offered = offer(opened, 'desk', { summary: 's' }, now).control;
    expect(offered).toMatchObject({ activeIntegrationId: 'bot', pendingIntegrationId: 'desk' });
    expect(accept(offered, 'sales', later)).toHaveProperty('refused');
    const accepted = accept(offered, 'desk', later);
    expect('control' in accepted && accepted.control).toMatchObject({
      activeIntegrationId: 'desk',
      pendingIntegrationId: null,
      metadata: { summary: 's' },
    });
  });

  it('starts the clock on the first unanswered customer message only', () => {
    const first = customerWrote(opened, 'm1', now);
    expect(first.startTimer).toBe(true);
    const second = customerWrote(first.control, 'm2', later);
    expect(second.startTimer).toBe(false);
    expect(second.control.awaitingMessageId).toBe('m1');
    expect(activeAnswered(second.control, later).awaitingMessageId).toBeNull();
  });

  it('lets keys that are no integration and the active one send; others take control or are refused', () => {
    expect(decideSend(opened, null, false)).toBe('allow');
    expect(decideSend(opened, 'bot', false)).toBe('allow');
    expect(decideSend(opened, 'desk', false)).toBe('not_in_control');
    expect(decideSend(opened, 'desk', true)).toBe('take_control');
  });

  it('fires a timeout only for the integration still active on the same unanswered message', () => {
    const waiting = customerWrote(opened, 'm1', now).control;
    const payload = { conversationId: 'conversation-1', integrationId: 'bot', messageId: 'm1' };
    expect(timeoutDue(waiting, payload)).toBe(true);
    expect(timeoutDue(activeAnswered(waiting, later), payload)).toBe(false);
    expect(timeoutDue(pass(waiting, 'desk', null, 'timeout', later).control, payload)).toBe(false);
  });
});
