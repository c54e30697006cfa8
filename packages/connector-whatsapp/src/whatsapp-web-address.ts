import { ConnectorError, toE164 } from '@threadline/connector-kit';
import type { Address } from '@threadline/schema';

/** Addresses of group chats start with this, so they never pass for a phone number. */
export const groupAddressPrefix = 'group:';

const groupIdPattern = /^[0-9]+(-[0-9]+)?$/;

export function isGroupChatId(chatId: string): boolean {
  return chatId.endsWith('@g.us');
}

/** A group chat id (`120363025246125486@g.us`) as the address its conversation follows. */
export function groupAddress(chatId: string): Address {
  return { channel: 'whatsapp', address: `${groupAddressPrefix}${chatId.replace(/@g\.us$/, '')}` };
}

/**
 * The whatsapp-web.js chat id for an address: `+15551234567` → `15551234567@c.us`,
 * `group:120363025246125486` → `120363025246125486@g.us`.
 */
export function toWhatsAppWebChatId(address: Address): string {
  if (address.address.startsWith(groupAddressPrefix)) {
    const id = address.address.slice(groupAddressPrefix.length);
    if (!groupIdPattern.test(id)) {
      throw new ConnectorError('validation_failed', `"${address.address}" is not a group address`);
    }
    return `${id}@g.us`;
  }
  let phone: string;
  try {
    phone = toE164(address.address);
  } catch (error) {
    throw new ConnectorError(
      'validation_failed',
      `"${address.address}" is neither a phone number nor a group address`,
      { cause: error },
    );
  }
  return `${phone.slice(1)}@c.us`;
}
