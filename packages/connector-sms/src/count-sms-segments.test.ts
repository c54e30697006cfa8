import { describe, expect, it } from 'vitest';
import { countSmsSegments } from './count-sms-segments.js';

describe('countSmsSegments', () => {
  it('counts GSM-7 text: 160 septets in one segment, then parts of 153', () => {
    expect(countSmsSegments('a'.repeat(160))).toEqual({
      segments: 1,
      encoding: 'GSM-7',
      units: 160,
    });
    expect(countSmsSegments('a'.repeat(161))).toEqual({
      segments: 2,
      encoding: 'GSM-7',
      units: 161,
    });
    expect(countSmsSegments('a'.repeat(306)).segments).toBe(2);
    expect(countSmsSegments('a'.repeat(307)).segments).toBe(3);
  });

  it('keeps the whole GSM alphabet, accents and symbols included, in GSM-7', () => {
    const gsm = countSmsSegments(
      'Où est la gare? ¿Qué pasa? Ça fait 5£ @ home_ΔΩ §1 ñ ü ß à è ì ò',
    );
    expect(gsm).toEqual({ encoding: 'GSM-7', segments: 1, units: 64 });
    // û and ó are not in the GSM alphabet
    expect(countSmsSegments('Ça coûte 5 €').encoding).toBe('UCS-2');
    expect(countSmsSegments('¿Dónde?').encoding).toBe('UCS-2');
  });

  it('counts extension-table characters as two septets', () => {
    expect(countSmsSegments('€'.repeat(80))).toEqual({
      segments: 1,
      encoding: 'GSM-7',
      units: 160,
    });
    expect(countSmsSegments('€'.repeat(81))).toEqual({
      segments: 2,
      encoding: 'GSM-7',
      units: 162,
    });
    expect(countSmsSegments('{}[]~^|\\\f').units).toBe(18);
  });

  it('never splits an escape sequence across two segments', () => {
    // 152 + 2 + 152 = 306 septets would fit two parts of 153, but the € cannot be split
    const text = `${'a'.repeat(152)}€${'a'.repeat(152)}`;
    expect(countSmsSegments(text)).toEqual({ segments: 3, encoding: 'GSM-7', units: 306 });
  });

  it('switches to UCS-2 for any character outside the GSM alphabet: 70 units, then 67', () => {
    expect(countSmsSegments('ж'.repeat(70))).toEqual({ segments: 1, encoding: 'UCS-2', units: 70 });
    expect(countSmsSegments('ж'.repeat(71))).toEqual({ segments: 2, encoding: 'UCS-2', units: 71 });
    expect(countSmsSegments('ж'.repeat(134)).segments).toBe(2);
    expect(countSmsSegments('ж'.repeat(135)).segments).toBe(3);
    expect(countSmsSegments(`${'a'.repeat(159)}\``).encoding).toBe('UCS-2');
  });

  it('counts characters outside the Basic Multilingual Plane (emoji) as two units', () => {
    expect(countSmsSegments('😀'.repeat(35))).toEqual({
      segments: 1,
      encoding: 'UCS-2',
      units: 70,
    });
    expect(countSmsSegments('😀'.repeat(36))).toEqual({
      segments: 2,
      encoding: 'UCS-2',
      units: 72,
    });
  });

  it('never splits a surrogate pair across two segments', () => {
    // 66 + 2 + 66 = 134 units would fit two parts of 67, but the emoji cannot be split
    const text = `${'ж'.repeat(66)}😀${'ж'.repeat(66)}`;
    expect(countSmsSegments(text)).toEqual({ segments: 3, encoding: 'UCS-2', units: 134 });
  });

  it('counts an empty body as no segment', () => {
    expect(countSmsSegments('')).toEqual({ segments: 0, encoding: 'GSM-7', units: 0 });
  });
});
