import { describe, expect, it } from 'vitest';
import { extractNewText } from './extract-new-text.js';

const lines = (...parts: string[]) => parts.join('\n');

describe('extractNewText', () => {
  it('keeps a message without history as it is', () => {
    expect(extractNewText('Hello,\n\nwhere is my order?\n')).toEqual({
      text: 'Hello,\n\nwhere is my order?',
      trimmed: false,
    });
  });

  it('strips a Gmail attribution wrapped over two lines and the quote below it', () => {
    const text = lines(
      'Thanks, it arrived!',
      '',
      'On Tue, Mar 5, 2024 at 10:14 AM Acme Support <support@acme.example>',
      'wrote:',
      '',
      '> Hello Ada,',
      '> your parcel is on its way.',
    );
    expect(extractNewText(text)).toEqual({ text: 'Thanks, it arrived!', trimmed: true });
  });

  it('strips an attribution on one line with CRLF line endings', () => {
    const text =
      'Yes please.\r\n\r\nOn 05/03/2024 10:14, Acme Support wrote:\r\n> Shall we resend it?\r\n';
    expect(extractNewText(text).text).toBe('Yes please.');
  });

  it.each([
    ['de', 'Am 05.03.2024 um 10:14 schrieb Acme Support <support@acme.example>:'],
    ['fr', 'Le mar. 5 mars 2024 à 10:14, Acme Support <support@acme.example> a écrit :'],
    ['es', 'El mar, 5 mar 2024 a las 10:14, Acme Support (<support@acme.example>) escribió:'],
    ['pt', 'Em ter., 5 de mar. de 2024 às 10:14, Acme Support <support@acme.example> escreveu:'],
    [
      'it',
      'Il giorno mar 5 mar 2024 alle ore 10:14 Acme Support <support@acme.example> ha scritto:',
    ],
    ['nl', 'Op di 5 mrt 2024 om 10:14 schreef Acme Support <support@acme.example>:'],
    ['sv', 'Den tis 5 mars 2024 kl 10:14 skrev Acme Support <support@acme.example>:'],
  ])('strips the %s attribution and its quote', (_language, attribution) => {
    const text = lines(
      'Danke / merci / gracias.',
      '',
      attribution,
      '',
      '> Hello Ada,',
      '> old text',
    );
    expect(extractNewText(text).text).toBe('Danke / merci / gracias.');
  });

  it('strips an address attribution on a line of its own (Thunderbird)', () => {
    const text = lines('Perfect.', 'Acme Support <support@acme.example> wrote:', '> Shall we?');
    expect(extractNewText(text).text).toBe('Perfect.');
  });

  it('does not join the sender text and a following attribution into one attribution', () => {
    const text = lines(
      'Thanks!',
      'On Tue, Mar 5, 2024 at 10:14 AM Acme Support <support@acme.example> wrote:',
      '> Hello',
    );
    expect(extractNewText(text).text).toBe('Thanks!');
  });

  it('cuts at an attribution followed by unquoted history (HTML converted to text)', () => {
    const text = lines(
      'See you then.',
      '',
      'On Tue, Mar 5, 2024 at 10:14 AM Acme Support <support@acme.example> wrote:',
      'Hello Ada,',
      'your parcel is on its way.',
    );
    expect(extractNewText(text).text).toBe('See you then.');
  });

  it('keeps answers written below and between quoted lines (inline replies)', () => {
    const text = lines(
      'On Tue, Mar 5, 2024 at 10:14 AM Acme Support <support@acme.example> wrote:',
      '> What is your order number?',
      '',
      'It is 1234.',
      '',
      '> And your postcode?',
      '',
      'SW1A 1AA',
    );
    expect(extractNewText(text)).toEqual({ text: 'It is 1234.\n\nSW1A 1AA', trimmed: true });
  });

  it('cuts at an Outlook "-----Original Message-----" separator', () => {
    const text = lines(
      'Please cancel it.',
      '',
      '-----Original Message-----',
      'From: Acme Support <support@acme.example>',
      'Sent: Tuesday, March 5, 2024 10:14 AM',
      'Subject: Your order',
      '',
      'Your order has shipped.',
    );
    expect(extractNewText(text).text).toBe('Please cancel it.');
  });

  it('cuts at a localized original-message separator', () => {
    const text = lines('Bitte stornieren.', '', '-----Ursprüngliche Nachricht-----', 'Von: Acme');
    expect(extractNewText(text).text).toBe('Bitte stornieren.');
  });

  it('cuts at an Outlook From/Sent/To/Subject header block and the rule above it', () => {
    const text = lines(
      'Got it, thanks.',
      '',
      'Kind regards',
      'Ada',
      '',
      '________________________________',
      'From: Acme Support <support@acme.example>',
      'Sent: Tuesday, March 5, 2024 10:14',
      'To: Ada Lovelace <ada@example.com>',
      'Subject: RE: Order 1234',
      '',
      'Your parcel is on its way.',
    );
    expect(extractNewText(text).text).toBe('Got it, thanks.\n\nKind regards\nAda');
  });

  it('cuts at a German Outlook header block', () => {
    const text = lines(
      'Passt, danke.',
      '',
      'Von: Acme Support <support@acme.example>',
      'Gesendet: Dienstag, 5. März 2024 10:14',
      'An: Jörg Müller <joerg@example.de>',
      'Betreff: AW: Bestellung 1234',
      '',
      'Ihr Paket ist unterwegs.',
    );
    expect(extractNewText(text).text).toBe('Passt, danke.');
  });

  it('keeps a line that merely starts with "From:" when no header block follows', () => {
    const text = lines('From: my home address, not the office.', 'Please deliver there.');
    expect(extractNewText(text)).toEqual({ text, trimmed: false });
  });

  it('strips the "-- " signature and everything below it', () => {
    const text = lines('Where is it?', '', '-- ', 'Ada Lovelace', 'Analytical Engines Ltd.');
    expect(extractNewText(text)).toEqual({ text: 'Where is it?', trimmed: true });
  });

  it('strips a signature delimiter whose trailing space was lost', () => {
    expect(extractNewText('Where is it?\n--\nAda').text).toBe('Where is it?');
  });

  it.each([
    'Sent from my iPhone',
    'Sent from my Galaxy',
    'Sent from Outlook for Android',
    'Get Outlook for iOS',
    'Von meinem iPhone gesendet',
    'Envoyé de mon iPhone',
    'Enviado desde mi iPhone',
  ])('strips the mobile signature "%s"', (signature) => {
    const text = lines('Is it shipped yet?', '', signature, '', '> older text');
    expect(extractNewText(text).text).toBe('Is it shipped yet?');
  });

  it('strips both a signature and the quoted history below it', () => {
    const text = lines(
      'Thanks!',
      '',
      'Sent from my iPhone',
      '',
      'On 5 Mar 2024, at 10:14, Acme Support <support@acme.example> wrote:',
      '',
      '> Hello',
    );
    expect(extractNewText(text).text).toBe('Thanks!');
  });

  it('keeps the full text when the whole message is quoted', () => {
    const text = '> only a quote\n> nothing new';
    expect(extractNewText(text)).toEqual({ text, trimmed: false });
  });

  it('collapses the blank lines left where quotes were removed', () => {
    const text = lines('First answer.', '', '> question two', '', '', 'Second answer.');
    expect(extractNewText(text).text).toBe('First answer.\n\nSecond answer.');
  });

  it('does not mistake a sentence starting with "On" for an attribution', () => {
    const text = lines('On Monday the parcel was at the depot.', 'Then nothing happened.');
    expect(extractNewText(text)).toEqual({ text, trimmed: false });
  });

  it('keeps non-Latin text intact', () => {
    const text = '您好，\n\n我的订单还没有到货。\n\n> 旧邮件';
    expect(extractNewText(text).text).toBe('您好，\n\n我的订单还没有到货。');
  });
});
