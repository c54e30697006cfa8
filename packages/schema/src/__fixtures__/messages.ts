import type { Content } from '../content.js';

/** One valid example of every content type, as an app or a connector would produce it. */
export const contentExamples: Record<Content['type'], Content> = {
  text: {
    type: 'text',
    text: 'Hi, my order #4411 never arrived 📦',
    attachments: [
      {
        kind: 'image',
        url: 'https://cdn.example.com/receipt.png',
        mimeType: 'image/png',
        size: 20480,
      },
      { kind: 'file', mediaId: 'att_01', mimeType: 'application/pdf', filename: 'invoice.pdf' },
    ],
  },
  media: {
    type: 'media',
    kind: 'image',
    url: 'https://cdn.example.com/photo.jpg',
    mimeType: 'image/jpeg',
    filename: 'photo.jpg',
    size: 1024,
    caption: 'the damaged box',
  },
  location: {
    type: 'location',
    latitude: 52.52,
    longitude: 13.405,
    name: 'Shop',
    address: 'Berlin',
  },
  contact: {
    type: 'contact',
    name: 'Ada Lovelace',
    phones: ['+447700900123'],
    emails: ['ada@example.com'],
  },
  interactive: {
    type: 'interactive',
    text: 'How can we help?',
    buttons: [
      { id: 'track', title: 'Track order' },
      { id: 'refund', title: 'Refund' },
    ],
  },
  postback: { type: 'postback', payload: 'refund', title: 'Refund' },
  reaction: { type: 'reaction', emoji: '👍', targetId: 'msg_01' },
  template: { type: 'template', name: 'order_update', language: 'en_US', parameters: ['4411'] },
};

export function messageWith(content: Content) {
  return {
    id: '0190f5e2-8f0b-7c3e-9a55-1d2e3f405060',
    conversationId: 'conv_1',
    contactId: 'contact_1',
    channel: 'sms',
    connectorId: 'sms',
    direction: 'inbound',
    from: { channel: 'sms', address: '+14155550100' },
    to: { channel: 'sms', address: '+14155550199' },
    externalId: 'SM0123456789abcdef0123456789abcdef',
    replyToId: null,
    content,
    status: 'received',
    error: null,
    createdAt: '2026-11-22T09:00:00.000Z',
    updatedAt: '2026-11-22T09:00:00.000Z',
    fallbackOfId: null,
    channelData: {},
  };
}
