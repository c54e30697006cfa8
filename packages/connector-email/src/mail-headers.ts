/** One raw header line as mailparser keeps it: the lower-case name and the unfolded line. */
export interface RawHeaderLine {
  key: string;
  line: string;
}

/** Continuation lines joined to their header: RFC 5322 folding undone. */
export function unfoldHeader(value: string): string {
  return value.replace(/\r?\n[ \t]+/g, ' ');
}

/**
 * Every value of a header, in message order (topmost first), raw: encoded words are not
 * decoded, so trace and authentication headers read exactly as the servers wrote them.
 */
export function headerValues(lines: readonly RawHeaderLine[], name: string): string[] {
  const key = name.toLowerCase();
  return lines
    .filter((line) => line.key === key)
    .map((line) => {
      const colon = line.line.indexOf(':');
      return decodeEightBit(unfoldHeader(colon === -1 ? '' : line.line.slice(colon + 1)).trim());
    });
}

/**
 * Header lines are read byte for byte (one character per byte); unencoded 8-bit text in
 * them is almost always UTF-8 (RFC 6532), so it is decoded when it is valid UTF-8.
 */
function decodeEightBit(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: bytes 0x80-0xff are what we look for
  if (!/[\u0080-\u00ff]/.test(value) || /[^\u0000-\u00ff]/.test(value)) return value;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(value, 'latin1'));
  } catch {
    return value;
  }
}

/** Reads a block of `Name: value` fields (a header section, a delivery-status group). */
export function readFieldBlock(text: string): RawHeaderLine[] {
  const fields: RawHeaderLine[] = [];
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (/^[ \t]/.test(line) && fields.length > 0) {
      const last = fields[fields.length - 1]!;
      last.line += ` ${line.trim()}`;
      continue;
    }
    const match = /^([!-9;-~]+)[ \t]*:/.exec(line);
    if (match) fields.push({ key: match[1]!.toLowerCase(), line });
  }
  return fields;
}

/** The header section of a raw message: everything before the first empty line. */
export function headerSection(raw: string): string {
  const match = /\r?\n\r?\n/.exec(raw);
  return match ? raw.slice(0, match.index) : raw;
}

/** Removes RFC 5322 comments (`(...)`, nested) from a structured header value. */
export function stripComments(value: string): string {
  let result = value;
  for (let pass = 0; pass < 5 && /\([^()]*\)/.test(result); pass += 1) {
    result = result.replace(/\([^()]*\)/g, ' ');
  }
  return result.replace(/\s+/g, ' ').trim();
}
