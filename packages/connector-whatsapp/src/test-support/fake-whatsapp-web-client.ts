import { EventEmitter } from 'node:events';
import type { ProviderFailure } from '@threadline/connector-kit/test';
import library, { type Location, type MessageMedia } from 'whatsapp-web.js';
import type {
  WhatsAppWebClient,
  WhatsAppWebDownloadedMedia,
  WhatsAppWebMessage,
  WhatsAppWebSendOptions,
} from '../whatsapp-web-client.js';

/** A WhatsApp Web message model, as whatsapp-web.js reads it from the page. */
export type RawMessageModel = Record<string, unknown> & {
  id: { fromMe: boolean; remote: string; id: string; _serialized: string };
  type: string;
};

/** The library's own `Message` class builds every message, so shapes match the real ones. */
const MessageClass = (
  library as unknown as {
    Message: new (client: unknown, data: RawMessageModel) => WhatsAppWebMessage;
  }
).Message;

export interface SentRecord {
  chatId: string;
  content: string | MessageMedia | Location;
  options: WhatsAppWebSendOptions | undefined;
  externalId: string;
}

/**
 * A whatsapp-web.js client without a browser: it emits the library's events with messages
 * built by the library's `Message` class from recorded WhatsApp Web models, and records what
 * is sent.
 */
export class FakeWhatsAppWebClient extends EventEmitter implements WhatsAppWebClient {
  readonly ownId = '15550001111@c.us';
  readonly sent: SentRecord[] = [];
  initialized = 0;
  destroyed = 0;
  private readonly failures: ProviderFailure[] = [];
  private readonly phoneByLid = new Map<string, string>();
  private counter = 0;

  async initialize(): Promise<void> {
    this.initialized += 1;
  }

  async destroy(): Promise<void> {
    this.destroyed += 1;
  }

  /** Teach the fake the phone id behind a privacy id. */
  knowLid(lid: string, phoneId: string): void {
    this.phoneByLid.set(lid, phoneId);
  }

  async getContactLidAndPhone(userIds: string[]) {
    return userIds.map((id) => ({ lid: id, pn: this.phoneByLid.get(id) }));
  }

  failNext(failure: ProviderFailure): void {
    this.failures.push(failure);
  }

  reset(): void {
    this.sent.length = 0;
    this.failures.length = 0;
  }

  /** A library `Message` from a model, with what `downloadMedia`/`getQuotedMessage` answer. */
  message(
    model: RawMessageModel,
    options: {
      media?: WhatsAppWebDownloadedMedia | Promise<WhatsAppWebDownloadedMedia>;
      quoted?: RawMessageModel;
    } = {},
  ): WhatsAppWebMessage {
    const message = new MessageClass(this, model);
    message.downloadMedia = async () => (options.media ? await options.media : undefined);
    message.getQuotedMessage = async () =>
      options.quoted ? new MessageClass(this, options.quoted) : undefined;
    return message;
  }

  /** The customer sends a message. */
  receive(
    model: RawMessageModel,
    options: Parameters<FakeWhatsAppWebClient['message']>[1] = {},
  ): WhatsAppWebMessage {
    const message = this.message(model, options);
    this.emit('message', message);
    return message;
  }

  /** WhatsApp acknowledges a message we sent. */
  acknowledge(externalId: string, ack: number): void {
    const sent = this.sent.find((record) => record.externalId === externalId);
    this.emit('message_ack', this.message(this.sentModel(externalId, sent, ack)), ack);
  }

  /** The model of a message this session sent. */
  sentModel(externalId: string, sent?: SentRecord, ack = 0): RawMessageModel {
    const [, remote = '', id = ''] = externalId.split('_');
    return {
      id: { fromMe: true, remote, id, _serialized: externalId },
      type: 'chat',
      body: typeof sent?.content === 'string' ? sent.content : '',
      t: 1763802100,
      from: this.ownId,
      to: remote,
      ack,
      isNewMsg: true,
    };
  }

  async sendMessage(
    chatId: string,
    content: string | MessageMedia | Location,
    options?: WhatsAppWebSendOptions,
  ) {
    const failure = this.failures.shift();
    if (failure?.kind === 'rate_limited') {
      throw new Error(
        'Evaluation failed: {"name":"SendMessageError","type":{"name":"IQErrorRateOverlimit","value":{"text":"rate-overlimit","code":429}}}',
      );
    }
    if (failure?.kind === 'unavailable') {
      throw new Error(
        'Protocol error (Runtime.callFunctionOn): Session closed. Most likely the page has been closed.',
      );
    }
    // WhatsApp Web finds no chat for a number that is not on WhatsApp: nothing is sent
    if (failure?.kind === 'rejected') return undefined;
    this.counter += 1;
    const id = `3EB0${this.counter.toString(16).toUpperCase().padStart(16, '0')}`;
    const externalId = `true_${chatId}_${id}`;
    const record: SentRecord = { chatId, content, options, externalId };
    this.sent.push(record);
    return this.message(this.sentModel(externalId, record));
  }
}
