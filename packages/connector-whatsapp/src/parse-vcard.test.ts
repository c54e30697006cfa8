import { describe, expect, it } from 'vitest';
import { formatVCard } from './format-vcard.js';
import { parseVCard } from './parse-vcard.js';

describe('parseVCard', () => {
  it('reads the card WhatsApp shares: name, phone from waid, email', () => {
    const card = [
      'BEGIN:VCARD',
      'VERSION:3.0',
      'N:Hopper;Grace;;;',
      'FN:Grace Hopper',
      'item1.TEL;waid=14155550123:+1 (415) 555-0123',
      'item1.X-ABLabel:Mobile',
      'EMAIL;type=INTERNET:grace@example.com',
      'END:VCARD',
    ].join('\n');
    expect(parseVCard(card)).toEqual({
      type: 'contact',
      name: 'Grace Hopper',
      phones: ['+14155550123'],
      emails: ['grace@example.com'],
    });
  });

  it('unfolds long lines, unescapes values and keeps national numbers as written', () => {
    const card =
      'BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lovelace;Ada\\, Countess;;;\r\nTEL;type=HOME:020 7946 0\r\n 018\r\nEND:VCARD';
    expect(parseVCard(card)).toEqual({
      type: 'contact',
      name: 'Ada, Countess Lovelace',
      phones: ['020 7946 0018'],
      emails: [],
    });
  });

  it('returns undefined for text that is not a vCard', () => {
    expect(parseVCard('hello')).toBeUndefined();
  });
});

describe('formatVCard', () => {
  it('writes a vCard that reads back the same', () => {
    const contact = {
      type: 'contact' as const,
      name: 'Grace Hopper',
      phones: ['+14155550123'],
      emails: ['grace@example.com'],
    };
    const card = formatVCard(contact);
    expect(card).toContain('TEL;type=CELL;waid=14155550123:+14155550123');
    expect(card).toContain('N:Hopper;Grace;;;');
    expect(parseVCard(card)).toEqual(contact);
  });

  it('escapes separators in names', () => {
    expect(
      formatVCard({ type: 'contact', name: 'Smith; Jones, Ltd', phones: [], emails: [] }),
    ).toContain('FN:Smith\\; Jones\\, Ltd');
  });
});
