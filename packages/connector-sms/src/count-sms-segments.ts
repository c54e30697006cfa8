/** How an SMS body is encoded on the carrier network. */
export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsSegmentCount {
  /** Carrier messages the body is split into (0 for an empty body, e.g. an MMS without text). */
  segments: number;
  encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) the body takes. */
  units: number;
}

/** The GSM 03.38 default alphabet (one septet each), without the escape character. */
const gsmBasicCharacters = new Set(
  Array.from(
    '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
      '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
  ),
);

/** The GSM 03.38 extension table: an escape septet plus one, so two septets each. */
const gsmExtensionCharacters = new Set(Array.from('\f^{}\\[~]|€'));

const limits = {
  'GSM-7': { single: 160, perSegment: 153 },
  'UCS-2': { single: 70, perSegment: 67 },
} as const;

/**
 * Counts the segments an SMS body is sent as. GSM-7 when every character is in the GSM
 * alphabet (extension characters count two septets), otherwise UCS-2 (characters outside
 * the Basic Multilingual Plane, such as emoji, count two units). One segment holds 160
 * septets or 70 units; a longer body is split into parts of 153 septets or 67 units, and
 * an escape sequence or a surrogate pair is never split across two parts.
 */
export function countSmsSegments(text: string): SmsSegmentCount {
  const characters = Array.from(text);
  const isGsm = characters.every(
    (character) => gsmBasicCharacters.has(character) || gsmExtensionCharacters.has(character),
  );
  const encoding: SmsEncoding = isGsm ? 'GSM-7' : 'UCS-2';
  const costs = characters.map((character) =>
    isGsm ? (gsmBasicCharacters.has(character) ? 1 : 2) : character.length,
  );
  const units = costs.reduce((total, cost) => total + cost, 0);
  const { single, perSegment } = limits[encoding];
  if (units === 0) return { segments: 0, encoding, units };
  if (units <= single) return { segments: 1, encoding, units };
  let segments = 1;
  let used = 0;
  for (const cost of costs) {
    if (used + cost > perSegment) {
      segments += 1;
      used = 0;
    }
    used += cost;
  }
  return { segments, encoding, units };
}
