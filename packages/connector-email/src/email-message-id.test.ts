import { describe, expect, it } from 'vitest';
import { messageIdsIn, outboundMessageId, stripMessageId } from './email-message-id.js';

describe('message ids', () => {
  it('strips brackets and refuses unusable ids', () => {
    expect(stripMessageId(' <abc@example.com> ')).toBe('abc@example.com');
    expect(stripMessageId('abc@example.com')).toBe('abc@example.com');
    expect(stripMessageId('<>')).toBeUndefined();
    expect(stripMessageId('<two words@example.com>')).toBeUndefined();
    expect(stripMessageId(undefined)).toBeUndefined();
  });

  it('lists every id in header values in order, without duplicates or comments', () => {
    expect(
      messageIdsIn([
        '<a@x.example>\r\n <b@x.example>',
        "<b@x.example> (Ada Lovelace's message of Tue, 5 Mar 2024)",
        'c@x.example',
        undefined,
      ]),
    ).toEqual(['a@x.example', 'b@x.example', 'c@x.example']);
  });

  it('derives our Message-ID from the gateway message id', () => {
    expect(outboundMessageId('01J8Z4K7Q9X2M3N4P5R6S7T8V9', 'acme.example')).toBe(
      'threadline.01J8Z4K7Q9X2M3N4P5R6S7T8V9@acme.example',
    );
    expect(outboundMessageId('a b/c@d', 'acme.example')).toBe('threadline.a-b-c-d@acme.example');
  });
});
