export {
  type BuiltOutboundMail,
  buildOutboundMail,
  type OutboundMailSettings,
  replySubject,
  textToHtml,
} from './build-outbound-mail.js';
export {
  type ConvertParsedMailOptions,
  convertParsedMail,
  derivedMessageId,
  type MailEnvelope,
  mediaAttachments,
  type StoredMedia,
} from './convert-parsed-mail.js';
export { detectAutomatedMail } from './detect-automated-mail.js';
export {
  createEmailConnector,
  EmailConnector,
  emailCapabilities,
  emailConnectorFromEnv,
  emailSignatureHeader,
  signInboundEmail,
} from './email-connector.js';
export { messageIdsIn, outboundMessageId, stripMessageId } from './email-message-id.js';
export {
  type EmailConnectorSettings,
  emailSettingsFromEnv,
  type MailTransport,
  type ResolvedEmailSettings,
  resolveEmailSettings,
} from './email-settings.js';
export { type ExtractedText, extractNewText } from './extract-new-text.js';
export { mapSmtpError } from './map-smtp-error.js';
export {
  base64MailContentType,
  parseRawMail,
  type RawMailRecord,
  rawMailBytes,
  rawMailRecord,
} from './parse-raw-mail.js';
export {
  type EmailAuthentication,
  readAuthenticationResults,
} from './read-authentication-results.js';
export {
  type DeliveryReport,
  mapDeliveryReport,
  readDeliveryStatus,
  readDispositionNotification,
} from './read-delivery-report.js';
