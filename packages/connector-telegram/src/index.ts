export {
  convertTelegramUpdate,
  type TelegramConversionContext,
} from './convert-telegram-update.js';
export {
  convertToTelegramRequests,
  type TelegramSendRequest,
  telegramCallbackDataMaxBytes,
  telegramCaptionMaxLength,
} from './convert-to-telegram-requests.js';
export { mapTelegramError } from './map-telegram-error.js';
export {
  createTelegramConnector,
  defaultTelegramApiRoot,
  TelegramConnector,
  type TelegramConnectorSettings,
  type TelegramMode,
  telegramCapabilities,
  telegramConnectorFromEnv,
  telegramSecretHeader,
} from './telegram-connector.js';
export {
  parseTelegramMessageExternalId,
  telegramCallbackExternalId,
  telegramMessageExternalId,
} from './telegram-external-id.js';
export {
  parseTelegramUpdate,
  type TelegramCallbackQuery,
  type TelegramChat,
  type TelegramMessage,
  type TelegramUpdate,
  type TelegramUser,
  telegramUpdateSchema,
} from './telegram-update-schema.js';
