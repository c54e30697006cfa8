/**
 * Telegram numbers messages per chat, so a message is known to Threadline as
 * `<chat id>:<message id>`: stable across redeliveries and unique per bot.
 */
export function telegramMessageExternalId(chatId: number | string, messageId: number): string {
  return `${chatId}:${messageId}`;
}

/** The external id of a button press: Telegram's callback query id, unique per bot. */
export function telegramCallbackExternalId(callbackQueryId: string): string {
  return `callback:${callbackQueryId}`;
}

/** Splits `<chat id>:<message id>`; undefined for any other id (a button press, a foreign id). */
export function parseTelegramMessageExternalId(
  externalId: string,
): { chatId: string; messageId: number } | undefined {
  const match = /^(-?\d{1,20}):(\d{1,15})$/.exec(externalId);
  if (!match) return undefined;
  return { chatId: match[1]!, messageId: Number(match[2]) };
}
