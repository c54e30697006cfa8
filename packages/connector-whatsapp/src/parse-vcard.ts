import { toE164 } from '@threadline/connector-kit';
import type { ContactContent } from '@threadline/schema';

interface VCardProperty {
  name: string;
  parameters: Record<string, string>;
  value: string;
}

function unescapeValue(value: string): string {
  return value.replace(/\\([\\,;nN])/g, (_match, character: string) =>
    character === 'n' || character === 'N' ? '\n' : character,
  );
}

function properties(vcard: string): VCardProperty[] {
  // unfold continuation lines (a line break followed by a space or a tab)
  const lines = vcard
    .replace(/\r\n|\r/g, '\n')
    .replace(/\n[ \t]/g, '')
    .split('\n');
  const result: VCardProperty[] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const [qualifiedName = '', ...rawParameters] = line.slice(0, colon).split(';');
    const name = (qualifiedName.split('.').pop() ?? '').toUpperCase();
    const parameters: Record<string, string> = {};
    for (const parameter of rawParameters) {
      const [key = '', value = ''] = parameter.split('=');
      parameters[key.toLowerCase()] = value;
    }
    result.push({ name, parameters, value: line.slice(colon + 1) });
  }
  return result;
}

function phoneOf(property: VCardProperty): string | undefined {
  const candidates = [
    property.parameters.waid ? `+${property.parameters.waid}` : undefined,
    property.value,
  ];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      return toE164(candidate);
    } catch {
      // not an international number: try the next form
    }
  }
  const raw = unescapeValue(property.value).trim();
  return raw.length > 0 ? raw : undefined;
}

/**
 * A contact card (vCard 3.0 as WhatsApp shares it) as contact content: the formatted name,
 * phones (E.164 when the card's `waid` or number allows it) and emails.
 */
export function parseVCard(vcard: string): ContactContent | undefined {
  const all = properties(vcard);
  if (!all.some((property) => property.name === 'BEGIN')) return undefined;
  const formatted = all.find((property) => property.name === 'FN');
  const structured = all.find((property) => property.name === 'N');
  const structuredName = structured
    ? unescapeValue(structured.value)
        .split(';')
        .slice(0, 2)
        .reverse()
        .filter((part) => part.trim().length > 0)
        .join(' ')
    : '';
  const phones = all
    .filter((property) => property.name === 'TEL')
    .flatMap((property) => {
      const phone = phoneOf(property);
      return phone ? [phone] : [];
    });
  const emails = all
    .filter((property) => property.name === 'EMAIL')
    .map((property) => unescapeValue(property.value).trim())
    .filter((email) => email.length > 0);
  const name =
    (formatted ? unescapeValue(formatted.value).trim() : '') ||
    structuredName ||
    phones[0] ||
    'Contact';
  return { type: 'contact', name, phones, emails };
}
