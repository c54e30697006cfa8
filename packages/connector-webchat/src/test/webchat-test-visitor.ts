import WebSocket from 'ws';
import type { ServerFrame, WireMessage } from '../webchat-protocol.js';

type FrameOf<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;

interface Waiter {
  matches: (frame: ServerFrame, index: number) => boolean;
  resolve: (index: number) => void;
}

/**
 * A visitor's widget, played by a real `ws` client: it records every frame the server sends
 * and lets a test wait for the next frame of a kind (no sleeps: it waits on the socket).
 */
export class TestVisitor {
  readonly frames: ServerFrame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  visitorId = '';
  resumeToken = '';
  readonly #socket: WebSocket;
  readonly #taken = new Set<number>();
  #waiters: Waiter[] = [];

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as ServerFrame;
      const index = this.frames.push(frame) - 1;
      const waiter = this.#waiters.find((candidate) => candidate.matches(frame, index));
      if (waiter) {
        this.#waiters = this.#waiters.filter((candidate) => candidate !== waiter);
        waiter.resolve(index);
      }
    });
  }

  static async connect(url: string, options: { origin?: string } = {}): Promise<TestVisitor> {
    const socket = new WebSocket(url, options.origin ? { origin: options.origin } : {});
    const visitor = new TestVisitor(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return visitor;
  }

  /** Connects and says hello; resolves once the welcome and the history arrived. */
  static async start(
    url: string,
    hello: Record<string, unknown> = {},
    options: { origin?: string } = {},
  ): Promise<TestVisitor> {
    const visitor = await TestVisitor.connect(url, options);
    await visitor.hello(hello);
    return visitor;
  }

  async hello(fields: Record<string, unknown> = {}) {
    this.send({ type: 'hello', version: 1, ...fields });
    const welcome = await this.next('welcome');
    this.visitorId = welcome.visitorId;
    this.resumeToken = welcome.resumeToken;
    const history = await this.next('history');
    return { welcome, history };
  }

  /** Resumes this visitor on a new socket, as a reloaded page would. */
  async resume(url: string, fields: Record<string, unknown> = {}) {
    const next = await TestVisitor.connect(url);
    const result = await next.hello({
      visitorId: this.visitorId,
      resumeToken: this.resumeToken,
      ...fields,
    });
    return { visitor: next, ...result };
  }

  send(frame: Record<string, unknown> | string): void {
    this.#socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** A client id for this visitor, as the widget makes them. */
  clientId(unique: string): string {
    return `wc_${this.visitorId}_${unique}`;
  }

  sendText(unique: string, text: string): string {
    const clientId = this.clientId(unique);
    this.send({ type: 'message', clientId, content: { type: 'text', text } });
    return clientId;
  }

  /** The next frame of this type not returned before (optionally one that matches). */
  next<T extends ServerFrame['type']>(
    type: T,
    match: (frame: FrameOf<T>) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<FrameOf<T>> {
    const matches = (frame: ServerFrame, index: number) =>
      !this.#taken.has(index) && frame.type === type && match(frame as FrameOf<T>);
    const found = this.frames.findIndex(matches);
    const take = (index: number) => {
      this.#taken.add(index);
      return this.frames[index] as FrameOf<T>;
    };
    if (found >= 0) return Promise.resolve(take(found));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        matches,
        resolve: (index) => {
          clearTimeout(timer);
          resolve(take(index));
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((candidate) => candidate !== waiter);
        reject(
          new Error(
            `no ${type} frame within ${timeoutMs} ms; received: ${JSON.stringify(this.frames)}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /**
   * Waits until the server has handled everything sent before: a ping is answered after every
   * earlier frame, and frames the server pushed earlier arrive before the pong.
   */
  async barrier(): Promise<void> {
    this.send({ type: 'ping' });
    await this.next('pong');
  }

  /** Business messages pushed to this visitor so far, oldest first. */
  pushedMessages(): WireMessage[] {
    return this.frames.flatMap((frame) =>
      frame.type === 'message' && frame.message.direction === 'outbound' ? [frame.message] : [],
    );
  }

  close(): Promise<{ code: number; reason: string }> {
    if (
      this.#socket.readyState === WebSocket.OPEN ||
      this.#socket.readyState === WebSocket.CONNECTING
    )
      this.#socket.close();
    return this.closed;
  }
}
