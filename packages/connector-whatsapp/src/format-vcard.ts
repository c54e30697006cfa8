import type { ContactContent } from '@threadline/schema';

function escapeValue(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/([,;])/g, '\\$1');
}

/**
 * Contact content as a vCard 3.0 that WhatsApp shows as a contact card. Phone numbers in
 * E.164 carry a `waid`, so the card offers "Message" for numbers on WhatsApp.
 */
export function formatVCard(contact: ContactContent): string {
  const [first = '', ...rest] = contact.name.trim().split(/\s+/);
  const lines = [
    'BEGIN:VCARD',
    'VERSION:3.0',
    `N:${escapeValue(rest.join(' '))};${escapeValue(first)};;;`,
    `FN:${escapeValue(contact.name)}`,
    ...contact.phones.map((phone) => {
      const digits = /^\+\d{6,15}$/.test(phone) ? phone.slice(1) : undefined;
      return `TEL;type=CELL${digits ? `;waid=${digits}` : ''}:${escapeValue(phone)}`;
    }),
    ...contact.emails.map((email) => `EMAIL;type=INTERNET:${escapeValue(email)}`),
    'END:VCARD',
  ];
  return lines.join('\n');
}
