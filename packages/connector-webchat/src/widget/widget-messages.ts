import type { Content, MessageStatus } from '@threadline/schema';
import type { WireMessage } from '../webchat-protocol.js';

/** Where one of the visitor's own messages is: not yet stored, stored, or refused for good. */
export type OwnMessageState = 'sending' | 'sent' | 'not_sent';

export interface ChatItem {
  /** Stable across reconnects and reloads: the local id of the visitor's message, else the gateway id. */
  key: string;
  /** The gateway's message id, once known. */
  id?: string;
  /** `inbound`: the visitor wrote it; `outbound`: the business did. */
  direction: 'inbound' | 'outbound';
  content: Content;
  createdAt: string;
  status: MessageStatus;
  own?: OwnMessageState;
  /** Why a message of the visitor was not sent. */
  problem?: string;
  /** Whether the widget reports `delivered`/`read` for it. */
  receipt: boolean;
  /** The furthest receipt already reported. */
  reported?: 'delivered' | 'read' | 'failed';
}

export type Receipt = { messageId: string; status: 'delivered' | 'read' | 'failed' };

/** The local id inside a client id `wc_<visitorId>_<localId>`. */
export function localIdOf(clientId: string): string {
  return clientId.slice(clientId.lastIndexOf('_') + 1);
}

const receiptRank = { delivered: 1, read: 2, failed: 3 } as const;
const statusRank: Partial<Record<MessageStatus, number>> = { delivered: 1, read: 2, failed: 3 };

/**
 * The messages the widget shows, in conversation order, each once: history, live messages,
 * the visitor's pending messages and acknowledgements all merge by a stable key.
 */
export class ChatMessages {
  #items: ChatItem[] = [];
  readonly #byKey = new Map<string, ChatItem>();
  readonly #keyById = new Map<string, string>();

  get items(): readonly ChatItem[] {
    return this.#items;
  }

  /** A message the visitor just wrote, shown at once as "sending". */
  addPending(localId: string, content: Content, createdAt: string): ChatItem {
    const existing = this.#byKey.get(localId);
    if (existing) return existing;
    const item: ChatItem = {
      key: localId,
      direction: 'inbound',
      content,
      createdAt,
      status: 'received',
      own: 'sending',
      receipt: false,
    };
    this.#byKey.set(localId, item);
    this.#items.push(item);
    return item;
  }

  /** The server stored the visitor's message. */
  acknowledge(localId: string, messageId: string): void {
    const item = this.#byKey.get(localId);
    if (!item) return;
    item.id = messageId;
    item.own = 'sent';
    this.#keyById.set(messageId, localId);
  }

  notSent(localId: string, problem: string): void {
    const item = this.#byKey.get(localId);
    if (!item) return;
    item.own = 'not_sent';
    item.problem = problem;
  }

  /** A live message; returns true when it was not shown before. */
  upsert(message: WireMessage): boolean {
    const key = this.#keyOf(message);
    const existing = this.#byKey.get(key);
    if (existing) {
      this.#merge(existing, message);
      return false;
    }
    const item = this.#fromWire(key, message);
    this.#byKey.set(key, item);
    if (item.id) this.#keyById.set(item.id, key);
    this.#items.push(item);
    return true;
  }

  /**
   * The conversation as stored, oldest first. It sets the order; messages it does not hold yet
   * (the visitor's unsent ones) stay after it, in their order.
   */
  applyHistory(messages: readonly WireMessage[]): void {
    const ordered: ChatItem[] = [];
    const seen = new Set<string>();
    for (const message of messages) {
      const key = this.#keyOf(message);
      if (seen.has(key)) continue;
      seen.add(key);
      let item = this.#byKey.get(key);
      if (item) this.#merge(item, message);
      else {
        item = this.#fromWire(key, message);
        this.#byKey.set(key, item);
      }
      if (item.id) this.#keyById.set(item.id, key);
      ordered.push(item);
    }
    for (const item of this.#items) if (!seen.has(item.key)) ordered.push(item);
    this.#items = ordered;
  }

  /**
   * The button the visitor already pressed on an interactive message: the payload of the first
   * later postback of theirs that names one of its buttons.
   */
  answerOf(item: ChatItem): string | undefined {
    if (item.content.type !== 'interactive') return undefined;
    const ids = new Set(item.content.buttons.map((button) => button.id));
    const later = this.#items.slice(this.#items.indexOf(item) + 1);
    for (const candidate of later) {
      if (
        candidate.direction === 'inbound' &&
        candidate.content.type === 'postback' &&
        ids.has(candidate.content.payload)
      )
        return candidate.content.payload;
    }
    return undefined;
  }

  /**
   * The receipts to report now, each at most once: `read` when the visitor can see the chat,
   * else `delivered`; `failed` for a message the widget cannot show.
   */
  dueReceipts(visible: boolean, canShow: (content: Content) => boolean): Receipt[] {
    const due: Receipt[] = [];
    for (const item of this.#items) {
      if (!item.receipt || !item.id || item.reported === 'read' || item.reported === 'failed')
        continue;
      const wanted = !canShow(item.content) ? 'failed' : visible ? 'read' : 'delivered';
      const already = Math.max(
        item.reported ? receiptRank[item.reported] : 0,
        statusRank[item.status] ?? 0,
      );
      if (receiptRank[wanted] <= already) continue;
      item.reported = wanted;
      due.push({ messageId: item.id, status: wanted });
    }
    return due;
  }

  #keyOf(message: WireMessage): string {
    if (message.clientId) return localIdOf(message.clientId);
    return this.#keyById.get(message.id) ?? message.id;
  }

  #fromWire(key: string, message: WireMessage): ChatItem {
    return {
      key,
      id: message.id,
      direction: message.direction,
      content: message.content,
      createdAt: message.createdAt,
      status: message.status,
      receipt: message.receipt,
      ...(message.clientId ? { own: 'sent' as const } : {}),
    };
  }

  #merge(item: ChatItem, message: WireMessage): void {
    item.id = message.id;
    item.content = message.content;
    item.createdAt = message.createdAt;
    if ((statusRank[message.status] ?? 0) >= (statusRank[item.status] ?? 0))
      item.status = message.status;
    item.receipt = item.receipt || message.receipt;
    if (message.clientId && item.own !== 'sent') {
      item.own = 'sent';
      delete item.problem;
    }
  }
}
