import type { Content } from '@threadline/schema';

/** A message the visitor wrote that the server has not acknowledged yet. */
export interface PendingMessage {
  localId: string;
  content: Content;
  createdAt: string;
}

/** What the widget keeps in the browser between page loads. */
export interface WidgetState {
  visitorId?: string;
  resumeToken?: string;
  /** Who the host website said the visitor is (email or phone), when it did. */
  identity?: string;
  outbox: PendingMessage[];
}

/** The part of `localStorage` the widget uses (any Storage works; tests pass a Map-backed one). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export class WidgetStorage {
  readonly #storage: KeyValueStorage | undefined;
  readonly #key: string;
  #memory: WidgetState = { outbox: [] };

  constructor(storage: KeyValueStorage | undefined, key: string) {
    this.#storage = storage;
    this.#key = key;
    this.#memory = this.#read();
  }

  get state(): WidgetState {
    return this.#memory;
  }

  update(change: Partial<WidgetState>): void {
    this.#memory = { ...this.#memory, ...change };
    try {
      this.#storage?.setItem(this.#key, JSON.stringify(this.#memory));
    } catch {
      // storage full or disabled: the chat still works for this page view
    }
  }

  /** Forget the visitor (another customer logged in on this browser). */
  clear(): void {
    this.#memory = { outbox: [] };
    try {
      this.#storage?.removeItem(this.#key);
    } catch {
      // ignore
    }
  }

  #read(): WidgetState {
    try {
      const raw = this.#storage?.getItem(this.#key);
      if (!raw) return { outbox: [] };
      const parsed = JSON.parse(raw) as Partial<WidgetState>;
      return {
        ...(typeof parsed.visitorId === 'string' ? { visitorId: parsed.visitorId } : {}),
        ...(typeof parsed.resumeToken === 'string' ? { resumeToken: parsed.resumeToken } : {}),
        ...(typeof parsed.identity === 'string' ? { identity: parsed.identity } : {}),
        outbox: Array.isArray(parsed.outbox) ? parsed.outbox.filter(isPending) : [],
      };
    } catch {
      return { outbox: [] };
    }
  }
}

function isPending(value: unknown): value is PendingMessage {
  const item = value as Partial<PendingMessage> | null;
  return (
    typeof item === 'object' &&
    item !== null &&
    typeof item.localId === 'string' &&
    typeof item.createdAt === 'string' &&
    typeof item.content === 'object' &&
    item.content !== null
  );
}

/**
 * Who an identity token names, read from its payload (not verified here — the server does):
 * used only to notice that a different customer is now logged in on this browser.
 */
export function identityOfToken(token: string | undefined): string | undefined {
  if (!token) return undefined;
  const encoded = token.slice(0, token.lastIndexOf('.'));
  try {
    const base64 = encoded.replace(/-/g, '+').replace(/_/g, '/');
    const json = decodeURIComponent(
      Array.from(
        atob(base64),
        (char) => `%${char.charCodeAt(0).toString(16).padStart(2, '0')}`,
      ).join(''),
    );
    const payload = JSON.parse(json) as { email?: unknown; phone?: unknown };
    const email = typeof payload.email === 'string' ? payload.email.trim().toLowerCase() : '';
    const phone = typeof payload.phone === 'string' ? payload.phone.replace(/[^\d+]/g, '') : '';
    return email || phone ? `${email}|${phone}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The stored visitor to resume, or none. A visitor who chatted anonymously keeps the chat when
 * they log in; a visitor identified as one customer is never resumed for another customer, or
 * after logging out, on a shared browser.
 */
export function shouldResume(state: WidgetState, identity: string | undefined): boolean {
  if (!state.visitorId || !state.resumeToken) return false;
  if (state.identity === undefined) return true;
  return state.identity === identity;
}
