import { describe, expect, it } from 'vitest';
import { mapHistoryEntry } from './map-history-entry.js';

const base = {
  content: { type: 'text' as const, text: 'x' },
  createdAt: '2026-06-01T12:00:00.000Z',
};

describe('mapHistoryEntry', () => {
  it("keeps the visitor's client id so the widget merges its own messages", () => {
    expect(
      mapHistoryEntry({
        ...base,
        id: 'm1',
        direction: 'inbound',
        status: 'received',
        externalId: 'wc_wv_5f0c2a9e41d7b3c86a1e9d02_a1',
      }),
    ).toEqual({
      ...base,
      id: 'm1',
      direction: 'inbound',
      status: 'received',
      clientId: 'wc_wv_5f0c2a9e41d7b3c86a1e9d02_a1',
      receipt: false,
    });
  });

  it('asks for receipts only for business messages sent on web chat', () => {
    const webchat = mapHistoryEntry({
      ...base,
      id: 'm2',
      direction: 'outbound',
      status: 'sent',
      externalId: 'wc_out_m2',
    });
    const byEmail = mapHistoryEntry({
      ...base,
      id: 'm3',
      direction: 'outbound',
      status: 'delivered',
      externalId: '<m3@mail.example.com>',
    });
    const queued = mapHistoryEntry({
      ...base,
      id: 'm4',
      direction: 'outbound',
      status: 'queued',
      externalId: null,
    });
    const fromEmail = mapHistoryEntry({
      ...base,
      id: 'm5',
      direction: 'inbound',
      status: 'received',
      externalId: '<abc@mail.example.com>',
    });
    expect([webchat.receipt, byEmail.receipt, queued.receipt, fromEmail.receipt]).toEqual([
      true,
      false,
      false,
      false,
    ]);
    expect(fromEmail.clientId).toBeUndefined();
  });
});
