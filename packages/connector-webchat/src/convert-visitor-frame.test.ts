import { describe, expect, it } from 'vitest';
import { convertMessageFrame, convertReceiptFrame } from './convert-visitor-frame.js';

const visitorId = 'wv_5f0c2a9e41d7b3c86a1e9d02';

describe('convertMessageFrame', () => {
  it('makes the client id the dedupe key and the visitor id the sender', () => {
    const event = convertMessageFrame(
      {
        type: 'message',
        clientId: `wc_${visitorId}_a1`,
        content: { type: 'text', text: 'Hello' },
      },
      { visitorId, pageUrl: 'https://shop.example.com/cart' },
    );
    expect(event).toEqual({
      type: 'message',
      message: {
        externalId: `wc_${visitorId}_a1`,
        from: { channel: 'webchat', address: visitorId },
        content: { type: 'text', text: 'Hello' },
        channelData: { pageUrl: 'https://shop.example.com/cart' },
      },
    });
  });

  it('carries the verified identity claims and name on every message of the visitor', () => {
    const claims = [
      {
        address: { channel: 'email', address: 'ada@example.com' },
        verified: true,
        source: 'identity_token' as const,
      },
    ];
    const event = convertMessageFrame(
      {
        type: 'message',
        clientId: `wc_${visitorId}_b2`,
        content: { type: 'postback', payload: 'track', title: 'Track my order' },
      },
      { visitorId, identity: { claims, name: 'Ada' } },
    );
    expect(event.type === 'message' && event.message).toMatchObject({
      content: { type: 'postback', payload: 'track', title: 'Track my order' },
      identityClaims: claims,
      senderName: 'Ada',
    });
  });

  it("refuses another visitor's client id with payload_invalid at the path", () => {
    expect(() =>
      convertMessageFrame(
        {
          type: 'message',
          clientId: 'wc_wv_000000000000000000000000_a1',
          content: { type: 'text', text: 'x' },
        },
        { visitorId },
        'frames.0.clientId',
      ),
    ).toThrow(expect.objectContaining({ code: 'payload_invalid', path: 'frames.0.clientId' }));
  });
});

describe('convertReceiptFrame', () => {
  it('names the outbound message by its stable external id', () => {
    expect(convertReceiptFrame({ type: 'receipt', messageId: 'm1', status: 'read' })).toEqual({
      type: 'status',
      externalId: 'wc_out_m1',
      status: 'read',
    });
  });

  it('turns a message the widget cannot show into a failed status with a permanent error', () => {
    expect(
      convertReceiptFrame({
        type: 'receipt',
        messageId: 'm1',
        status: 'failed',
        reason: 'new kind',
      }),
    ).toEqual({
      type: 'status',
      externalId: 'wc_out_m1',
      status: 'failed',
      error: {
        code: 'unsupported_content',
        message: 'the widget could not show the message: new kind',
        retryable: false,
      },
    });
  });
});
