import { describe, expect, it } from 'vitest';
import { detectOptOutKeyword } from './detect-opt-out-keyword.js';

describe('detectOptOutKeyword', () => {
  it.each(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'])(
    '%s opts out',
    (word) => {
      expect(detectOptOutKeyword(word)).toBe('stop');
    },
  );

  it.each(['START', 'YES', 'UNSTOP'])('%s opts back in', (word) => {
    expect(detectOptOutKeyword(word)).toBe('start');
  });

  it.each(['HELP', 'INFO'])('%s asks for help', (word) => {
    expect(detectOptOutKeyword(word)).toBe('help');
  });

  it('ignores case and surrounding whitespace', () => {
    expect(detectOptOutKeyword('  Stop \n')).toBe('stop');
    expect(detectOptOutKeyword('unStop')).toBe('start');
    expect(detectOptOutKeyword('\thelp')).toBe('help');
  });

  it('only matches the whole message', () => {
    expect(detectOptOutKeyword('stop sending me this')).toBeUndefined();
    expect(detectOptOutKeyword('Please STOP')).toBeUndefined();
    expect(detectOptOutKeyword('Where is my order?')).toBeUndefined();
    expect(detectOptOutKeyword('')).toBeUndefined();
    expect(detectOptOutKeyword('constructor')).toBeUndefined();
  });

  it("prefers the keyword Twilio's Advanced Opt-Out matched", () => {
    expect(detectOptOutKeyword('ARRET', 'STOP')).toBe('stop');
    expect(detectOptOutKeyword('hola', 'start')).toBe('start');
    expect(detectOptOutKeyword('AYUDA', 'HELP')).toBe('help');
    expect(detectOptOutKeyword('STOP', 'something-else')).toBe('stop');
  });
});
