import type { Location, MessageMedia } from 'whatsapp-web.js';

/** Media as whatsapp-web.js downloads it: base64 data with its MIME type. */
export interface WhatsAppWebDownloadedMedia {
  mimetype: string;
  data: string;
  filename?: string | null;
  filesize?: number | null;
}

/** The whatsapp-web.js `Message` fields and methods the connector reads. */
export interface WhatsAppWebMessage {
  id: { _serialized: string; fromMe?: boolean; remote?: string; id?: string };
  /** The chat: `15551234567@c.us` for a person, `…@g.us` for a group. */
  from: string;
  to?: string;
  /** The sender inside a group chat. */
  author?: string | undefined;
  fromMe?: boolean;
  /** The text, or the caption of media. */
  body: string;
  type: string;
  /** Unix seconds. */
  timestamp?: number;
  hasMedia: boolean;
  hasQuotedMsg: boolean;
  location?:
    | {
        latitude: number | string;
        longitude: number | string;
        name?: string | undefined;
        address?: string | undefined;
        url?: string | undefined;
      }
    | undefined;
  vCards?: string[];
  isStatus?: boolean;
  broadcast?: boolean;
  isForwarded?: boolean;
  selectedButtonId?: string | undefined;
  selectedRowId?: string | undefined;
  latestEditSenderTimestampMs?: number | undefined;
  /** The WhatsApp Web model behind the message (`notifyName` is the sender's profile name). */
  rawData?: unknown;
  downloadMedia(): Promise<WhatsAppWebDownloadedMedia | undefined>;
  getQuotedMessage(): Promise<{ id: { _serialized: string } } | undefined>;
}

export interface WhatsAppWebSendOptions {
  quotedMessageId?: string;
  caption?: string;
  sendMediaAsDocument?: boolean;
}

/** What `sendMessage` resolves to: the sent message, or nothing when the chat does not exist. */
export type WhatsAppWebSentMessage = { id: { _serialized: string } } | null | undefined;

/**
 * The part of a whatsapp-web.js `Client` the connector uses. The library's `Client` satisfies
 * it; tests pass an event emitter with the same events and message shapes.
 */
export interface WhatsAppWebClient {
  on(event: 'qr', listener: (code: string) => void): unknown;
  on(event: 'authenticated' | 'ready', listener: () => void): unknown;
  on(event: 'auth_failure', listener: (message: string) => void): unknown;
  on(event: 'disconnected', listener: (reason: string) => void): unknown;
  on(event: 'message', listener: (message: WhatsAppWebMessage) => void): unknown;
  on(event: 'message_ack', listener: (message: WhatsAppWebMessage, ack: number) => void): unknown;
  on(
    event: 'message_edit',
    listener: (message: WhatsAppWebMessage, newBody: string, prevBody: string) => void,
  ): unknown;
  on(
    event: 'message_revoke_everyone',
    listener: (after: WhatsAppWebMessage, before?: WhatsAppWebMessage | null) => void,
  ): unknown;
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
  initialize(): Promise<unknown>;
  destroy(): Promise<unknown>;
  sendMessage(
    chatId: string,
    content: string | MessageMedia | Location,
    options?: WhatsAppWebSendOptions,
  ): Promise<WhatsAppWebSentMessage>;
  /** Resolves `…@lid` ids (WhatsApp's privacy ids) to phone ids. */
  getContactLidAndPhone?(
    userIds: string[],
  ): Promise<Array<{ lid?: string | undefined; pn?: string | undefined }>>;
}
