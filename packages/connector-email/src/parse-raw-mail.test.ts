import { describe, expect, it } from 'vitest';
import {
  base64MailContentType,
  parseRawMail,
  rawMailBytes,
  rawMailRecord,
} from './parse-raw-mail.js';

describe('rawMailRecord', () => {
  it('keeps UTF-8 messages as text and round-trips them', () => {
    const raw = Buffer.from('From: jörg@example.de\r\n\r\nGrüße\r\n');
    const record = rawMailRecord(raw);
    expect(record).toEqual({ contentType: 'message/rfc822', body: raw.toString('utf8') });
    expect(rawMailBytes(record.body, record.contentType)).toEqual(raw);
  });

  it('keeps other 8-bit messages as base64 without losing a byte', () => {
    const raw = Buffer.concat([
      Buffer.from('From: a@example.cn\r\nContent-Type: text/plain; charset=gb2312\r\n\r\n'),
      Buffer.from([0xc4, 0xe3, 0xba, 0xc3]),
    ]);
    const record = rawMailRecord(raw);
    expect(record.contentType).toBe(base64MailContentType);
    expect(rawMailBytes(record.body, record.contentType)).toEqual(raw);
  });
});

describe('parseRawMail', () => {
  it('refuses an empty message with payload_invalid', async () => {
    await expect(parseRawMail(Buffer.from(' \r\n'))).rejects.toMatchObject({
      code: 'payload_invalid',
      path: '(body)',
    });
  });
});
