import type { Button, Content } from '@threadline/schema';
import type { ServerFrame } from '../webchat-protocol.js';
import { canShowContent, renderChatContent } from './render-chat-content.js';
import { type ConnectionState, WidgetConnection } from './widget-connection.js';
import { type ChatItem, ChatMessages } from './widget-messages.js';
import { identityOfToken, shouldResume, WidgetStorage } from './widget-storage.js';
import { widgetStyles } from './widget-styles.js';

export interface ChatWidgetConfig {
  /** The socket URL, `wss://gateway.example.com/webchat/ws`. */
  socketUrl: string;
  title: string;
  /** Start with the chat open. */
  open: boolean;
  /** Signed by the host website: who the logged-in visitor is. */
  identityToken?: string | undefined;
  /** A CSS colour for the launcher, header and the visitor's bubbles. */
  accent?: string | undefined;
  storageKey: string;
}

/** How long a "typing…" indicator stays up without being renewed. */
const typingShownMs = 15_000;
/** The visitor is still typing if a key was pressed within this time. */
const visitorTypingIdleMs = 4_000;

const connectionText: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  online: '',
  offline: 'Reconnecting… your messages will be sent when the connection is back.',
  refused: 'The chat is not available on this page.',
};

function randomId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** The embeddable chat: a launcher button and a panel, in a shadow root of its own. */
export class ChatWidget {
  readonly #config: ChatWidgetConfig;
  readonly #document: Document;
  readonly #messages = new ChatMessages();
  readonly #elements = new Map<string, HTMLLIElement>();
  readonly #connection: WidgetConnection;
  readonly #root: HTMLDivElement;
  readonly #launcher: HTMLButtonElement;
  readonly #panel: HTMLElement;
  readonly #list: HTMLOListElement;
  readonly #status: HTMLParagraphElement;
  readonly #typing: HTMLParagraphElement;
  readonly #input: HTMLTextAreaElement;
  #typingTimer: ReturnType<typeof setTimeout> | undefined;
  #visitorTypingTimer: ReturnType<typeof setTimeout> | undefined;
  #visitorTyping = false;

  constructor(host: HTMLElement, config: ChatWidgetConfig) {
    this.#config = config;
    this.#document = host.ownerDocument;
    const document = this.#document;
    const shadow = host.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = widgetStyles;
    this.#root = document.createElement('div');
    this.#root.className = 'tl-root';
    if (config.accent) this.#root.style.setProperty('--tl-accent', config.accent);
    shadow.append(style, this.#root);

    this.#panel = document.createElement('section');
    this.#panel.className = 'tl-panel';
    this.#panel.id = 'tl-panel';
    this.#panel.setAttribute('role', 'dialog');
    this.#panel.setAttribute('aria-labelledby', 'tl-title');
    this.#panel.hidden = true;

    const header = document.createElement('div');
    header.className = 'tl-header';
    const title = document.createElement('h2');
    title.className = 'tl-title';
    title.id = 'tl-title';
    title.textContent = config.title;
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'tl-close';
    close.setAttribute('aria-label', 'Close chat');
    close.textContent = '×';
    close.addEventListener('click', () => this.close());
    header.append(title, close);

    this.#status = document.createElement('p');
    this.#status.className = 'tl-connection';
    this.#status.setAttribute('role', 'status');

    this.#list = document.createElement('ol');
    this.#list.className = 'tl-messages';
    this.#list.setAttribute('role', 'log');
    this.#list.setAttribute('aria-live', 'polite');
    this.#list.setAttribute('aria-label', 'Messages');
    this.#list.tabIndex = 0;

    this.#typing = document.createElement('p');
    this.#typing.className = 'tl-typing';
    this.#typing.setAttribute('aria-live', 'polite');
    this.#typing.textContent = 'Typing…';
    this.#typing.hidden = true;

    const form = document.createElement('form');
    form.className = 'tl-form';
    const label = document.createElement('label');
    label.htmlFor = 'tl-input';
    label.className = 'tl-sr';
    label.textContent = 'Message';
    this.#input = document.createElement('textarea');
    this.#input.id = 'tl-input';
    this.#input.rows = 1;
    this.#input.maxLength = 4000;
    this.#input.placeholder = 'Write a message…';
    this.#input.setAttribute('aria-describedby', 'tl-hint');
    const hint = document.createElement('span');
    hint.id = 'tl-hint';
    hint.className = 'tl-sr';
    hint.textContent = 'Press Enter to send, Shift+Enter for a new line.';
    const send = document.createElement('button');
    send.type = 'submit';
    send.className = 'tl-send';
    send.textContent = 'Send';
    form.append(label, this.#input, hint, send);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#submit();
    });
    this.#input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.#submit();
      }
    });
    this.#input.addEventListener('input', () => this.#visitorIsTyping());

    this.#panel.append(header, this.#status, this.#list, this.#typing, form);
    this.#panel.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.close();
    });

    this.#launcher = document.createElement('button');
    this.#launcher.type = 'button';
    this.#launcher.className = 'tl-launcher';
    this.#launcher.setAttribute('aria-controls', 'tl-panel');
    this.#launcher.setAttribute('aria-expanded', 'false');
    this.#launcher.textContent = config.title;
    this.#launcher.addEventListener('click', () =>
      this.#panel.hidden ? this.open() : this.close(),
    );
    this.#root.append(this.#panel, this.#launcher);

    const identity = identityOfToken(config.identityToken);
    const storage = new WidgetStorage(safeLocalStorage(), config.storageKey);
    if (!shouldResume(storage.state, identity)) storage.clear();
    if (identity) storage.update({ identity });
    for (const pending of storage.state.outbox) {
      this.#messages.addPending(pending.localId, pending.content, pending.createdAt);
    }

    this.#connection = new WidgetConnection({
      url: config.socketUrl,
      storage,
      identityToken: config.identityToken,
      pageUrl: this.#document.location?.href,
      events: {
        state: (state, detail) => {
          this.#status.textContent =
            state === 'refused' && detail
              ? `${connectionText.refused} ${detail}`
              : connectionText[state];
          if (state === 'online') this.#reportReceipts();
        },
        frame: (frame) => this.#receive(frame),
        acknowledged: (localId, messageId) => {
          this.#messages.acknowledge(localId, messageId);
          this.#render();
        },
        notSent: (localId, problem) => {
          this.#messages.notSent(localId, problem);
          this.#render();
        },
      },
    });

    const view = this.#document.defaultView;
    view?.addEventListener('focus', () => this.#reportReceipts());
    this.#document.addEventListener('visibilitychange', () => this.#reportReceipts());

    this.#render();
    if (config.open) this.open({ focus: false });
    this.#connection.connect();
  }

  open(options: { focus?: boolean } = {}): void {
    this.#panel.hidden = false;
    this.#launcher.setAttribute('aria-expanded', 'true');
    this.#scrollToEnd();
    if (options.focus !== false) this.#input.focus();
    this.#reportReceipts();
  }

  close(): void {
    this.#panel.hidden = true;
    this.#launcher.setAttribute('aria-expanded', 'false');
    this.#launcher.focus();
  }

  #receive(frame: ServerFrame): void {
    switch (frame.type) {
      case 'history':
        this.#messages.applyHistory(frame.messages);
        this.#render();
        return;
      case 'message':
        this.#messages.upsert(frame.message);
        if (frame.message.direction === 'outbound') this.#showTyping(false);
        this.#render();
        return;
      case 'typing':
        this.#showTyping(frame.typing);
        return;
      default:
        return;
    }
  }

  #submit(): void {
    const text = this.#input.value.trim();
    if (!text) return;
    this.#input.value = '';
    this.#sendContent({ type: 'text', text });
    this.#stopVisitorTyping();
  }

  #choose(button: Button, element: HTMLButtonElement): void {
    const group = element.parentElement;
    for (const sibling of Array.from(group?.querySelectorAll('button') ?? [])) {
      sibling.disabled = true;
    }
    element.setAttribute('aria-pressed', 'true');
    this.#sendContent({ type: 'postback', payload: button.id, title: button.title });
  }

  #sendContent(content: Content): void {
    const localId = randomId();
    const createdAt = new Date().toISOString();
    this.#messages.addPending(localId, content, createdAt);
    this.#render();
    this.#connection.send(localId, content, createdAt);
  }

  #visitorIsTyping(): void {
    if (!this.#visitorTyping) {
      this.#visitorTyping = this.#connection.sendNow({ type: 'typing', typing: true });
    }
    clearTimeout(this.#visitorTypingTimer);
    this.#visitorTypingTimer = setTimeout(() => this.#stopVisitorTyping(), visitorTypingIdleMs);
  }

  #stopVisitorTyping(): void {
    clearTimeout(this.#visitorTypingTimer);
    if (this.#visitorTyping) this.#connection.sendNow({ type: 'typing', typing: false });
    this.#visitorTyping = false;
  }

  #showTyping(typing: boolean): void {
    clearTimeout(this.#typingTimer);
    this.#typing.hidden = !typing;
    if (typing) this.#typingTimer = setTimeout(() => this.#showTyping(false), typingShownMs);
  }

  /** Puts the list in the order of the messages, touching only what changed. */
  #render(): void {
    const items = this.#messages.items;
    let previous: HTMLLIElement | null = null;
    let added = false;
    for (const item of items) {
      let element = this.#elements.get(item.key);
      if (!element) {
        element = this.#document.createElement('li');
        this.#elements.set(item.key, element);
        this.#fill(element, item);
        added = true;
      } else {
        this.#updateState(element, item);
      }
      const expected: ChildNode | null = previous ? previous.nextSibling : this.#list.firstChild;
      if (expected !== element) this.#list.insertBefore(element, expected);
      previous = element;
    }
    if (added) this.#scrollToEnd();
    this.#reportReceipts();
  }

  #fill(element: HTMLLIElement, item: ChatItem): void {
    const fromVisitor = item.direction === 'inbound';
    element.className = `tl-message ${fromVisitor ? 'tl-visitor' : 'tl-business'}`;
    element.dataset.key = item.key;
    if (item.id) element.dataset.messageId = item.id;
    const who = this.#document.createElement('span');
    who.className = 'tl-sr';
    who.textContent = fromVisitor ? 'You: ' : `${this.#config.title}: `;
    const bubble = this.#document.createElement('div');
    bubble.className = 'tl-bubble';
    bubble.append(
      ...renderChatContent(
        this.#document,
        item.content,
        (button, buttonElement) => this.#choose(button, buttonElement),
        this.#messages.answerOf(item),
      ),
    );
    element.replaceChildren(who, bubble);
    if (fromVisitor) {
      const state = this.#document.createElement('span');
      state.className = 'tl-state';
      element.append(state);
    }
    this.#updateState(element, item);
  }

  #updateState(element: HTMLLIElement, item: ChatItem): void {
    if (item.id) element.dataset.messageId = item.id;
    element.dataset.status = item.own ?? item.status;
    const state = element.querySelector('.tl-state');
    if (!state) return;
    const text =
      item.own === 'sending'
        ? 'Sending…'
        : item.own === 'not_sent'
          ? `Not sent: ${item.problem ?? ''}`
          : 'Sent';
    if (state.textContent !== text) state.textContent = text;
    state.classList.toggle('tl-problem', item.own === 'not_sent');
  }

  #scrollToEnd(): void {
    this.#list.scrollTop = this.#list.scrollHeight;
  }

  /** Delivered once shown; read once the chat is open in a visible, focused page. */
  #reportReceipts(): void {
    if (this.#connection.state !== 'online') return;
    const visible =
      !this.#panel.hidden &&
      this.#document.visibilityState === 'visible' &&
      this.#document.hasFocus();
    for (const receipt of this.#messages.dueReceipts(visible, canShowContent)) {
      this.#connection.sendNow({ type: 'receipt', ...receipt });
    }
  }
}

function safeLocalStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}
