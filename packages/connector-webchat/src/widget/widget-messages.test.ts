import { describe, expect, it } from 'vitest';
import type { WireMessage } from '../webchat-protocol.js';
import { ChatMessages, localIdOf } from './widget-messages.js';

const visitor = 'wv_5f0c2a9e41d7b3c86a1e9d02';
const at = '2026-06-01T12:00:00.000Z';

function inbound(id: string, localId: string, text: string): WireMessage {
  return {
    id,
    direction: 'inbound',
    content: { type: 'text', text },
    status: 'received',
    createdAt: at,
    clientId: `wc_${visitor}_${localId}`,
    receipt: false,
  };
}

function outbound(id: string, text: string, status: WireMessage['status'] = 'sent'): WireMessage {
  return {
    id,
    direction: 'outbound',
    content: { type: 'text', text },
    status,
    createdAt: at,
    receipt: true,
  };
}

const texts = (messages: ChatMessages) =>
  messages.items.map((item) =>
    item.content.type === 'text' ? item.content.text : item.content.type,
  );

describe('ChatMessages', () => {
  it('shows a message once whether it comes live, acknowledged or in history', () => {
    const messages = new ChatMessages();
    messages.addPending('a1', { type: 'text', text: 'Hello' }, at);
    messages.acknowledge('a1', 'm1');
    messages.upsert(outbound('m2', 'Hi! How can we help?'));
    messages.upsert(outbound('m2', 'Hi! How can we help?'));
    messages.applyHistory([inbound('m1', 'a1', 'Hello'), outbound('m2', 'Hi! How can we help?')]);
    messages.applyHistory([inbound('m1', 'a1', 'Hello'), outbound('m2', 'Hi! How can we help?')]);
    expect(texts(messages)).toEqual(['Hello', 'Hi! How can we help?']);
    expect(messages.items[0]).toMatchObject({ key: 'a1', id: 'm1', own: 'sent' });
  });

  it('takes the order of the history and keeps unsent messages after it', () => {
    const messages = new ChatMessages();
    messages.upsert(outbound('m3', 'third'));
    messages.addPending('p1', { type: 'text', text: 'not sent yet' }, at);
    messages.applyHistory([
      inbound('m1', 'a1', 'first'),
      outbound('m2', 'second'),
      outbound('m3', 'third'),
    ]);
    expect(texts(messages)).toEqual(['first', 'second', 'third', 'not sent yet']);
    expect(messages.items[3]).toMatchObject({ own: 'sending' });
  });

  it('never moves a status back when an older copy arrives', () => {
    const messages = new ChatMessages();
    messages.upsert(outbound('m1', 'x', 'read'));
    messages.applyHistory([outbound('m1', 'x', 'sent')]);
    expect(messages.items[0]?.status).toBe('read');
  });

  it('reports delivered, then read once visible, each once, and nothing already read', () => {
    const messages = new ChatMessages();
    const canShow = () => true;
    messages.applyHistory([
      outbound('m1', 'already read', 'read'),
      outbound('m2', 'delivered before', 'delivered'),
      outbound('m3', 'new'),
      { ...outbound('m4', 'by email'), receipt: false },
    ]);
    expect(messages.dueReceipts(false, canShow)).toEqual([
      { messageId: 'm3', status: 'delivered' },
    ]);
    expect(messages.dueReceipts(false, canShow)).toEqual([]);
    expect(messages.dueReceipts(true, canShow)).toEqual([
      { messageId: 'm2', status: 'read' },
      { messageId: 'm3', status: 'read' },
    ]);
    expect(messages.dueReceipts(true, canShow)).toEqual([]);
  });

  it('reports failed for a message it cannot show', () => {
    const messages = new ChatMessages();
    messages.upsert(outbound('m1', 'from the future'));
    expect(messages.dueReceipts(true, () => false)).toEqual([
      { messageId: 'm1', status: 'failed' },
    ]);
  });

  it('marks a refused message as not sent, with the reason', () => {
    const messages = new ChatMessages();
    messages.addPending('a1', { type: 'text', text: 'x' }, at);
    messages.notSent('a1', 'too long');
    expect(messages.items[0]).toMatchObject({ own: 'not_sent', problem: 'too long' });
  });

  it('knows which button of an interactive message the visitor pressed', () => {
    const messages = new ChatMessages();
    messages.applyHistory([
      {
        ...outbound('m1', ''),
        content: {
          type: 'interactive',
          text: 'Pick one',
          buttons: [
            { id: 'a', title: 'A' },
            { id: 'b', title: 'B' },
          ],
        },
      },
      { ...inbound('m2', 'p1', ''), content: { type: 'postback', payload: 'b', title: 'B' } },
    ]);
    expect(messages.answerOf(messages.items[0]!)).toBe('b');
    expect(messages.answerOf(messages.items[1]!)).toBeUndefined();
  });

  it('reads the local id out of a client id', () => {
    expect(localIdOf(`wc_${visitor}_0d4b8f2a`)).toBe('0d4b8f2a');
  });
});
