import { signWebchatIdentityToken } from '@threadline/connector-webchat';
import WebSocket from 'ws';
import type { PlannedMessage, PlannedPersona } from '../plan-traffic.js';
import { replyRef } from '../traffic-ledger.js';
import {
  draw,
  type FakeContext,
  hexId,
  type ProviderFake,
  sentText,
  sleep,
} from './provider-fake.js';

export interface WebchatSecrets {
  identitySecret: string;
  sessionSecret: string;
}

export function webchatSecrets(seed: number): WebchatSecrets {
  return {
    identitySecret: hexId(seed, 'webchat-identity-secret'),
    sessionSecret: hexId(seed, 'webchat-session-secret'),
  };
}

/** The widget's reconnect waits: quick at first, then every few seconds. */
const reconnectPattern = [
  250, 500, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000, 5_000, 5_000, 5_000, 5_000,
];

interface WireMessage {
  id: string;
  direction: 'inbound' | 'outbound';
  content: unknown;
  receipt?: boolean;
}

type ServerFrame =
  | { type: 'welcome'; visitorId: string; resumeToken: string }
  | { type: 'history'; messages: WireMessage[] }
  | { type: 'message'; message: WireMessage }
  | { type: 'ack'; clientId: string; messageId: string; duplicate: boolean }
  | { type: 'error'; code: string; message: string; clientId?: string; retryAfterMs?: number }
  | { type: 'typing' | 'pong' };

class FrameError extends Error {
  constructor(
    readonly outcome: string,
    readonly retryAfterMs?: number,
  ) {
    super(outcome);
  }
}

/**
 * A visitor's widget, played by a real WebSocket client: `hello` with a signed identity
 * token (the host site vouches for the customer), messages resent after a reconnect until
 * acknowledged, receipts for what the business sends, resume with the visitor id and token.
 */
class Visitor {
  socket: WebSocket | undefined;
  visitorId: string | undefined;
  resumeToken: string | undefined;
  private connecting: Promise<void> | undefined;
  private readonly acks = new Map<
    string,
    { resolve: () => void; reject: (error: Error) => void }
  >();
  private readonly seen = new Set<string>();
  closed = false;

  constructor(
    private readonly context: FakeContext,
    private readonly persona: PlannedPersona,
    private readonly secrets: WebchatSecrets,
  ) {}

  connect(): Promise<void> {
    if (this.socket?.readyState === WebSocket.OPEN && this.visitorId) return Promise.resolve();
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private open(): Promise<void> {
    const url = `${this.context.gateway().socketUrl()}/webchat/ws`;
    return new Promise<void>((resolve, reject) => {
      const socket = new WebSocket(url);
      this.socket = socket;
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new FrameError('timeout'));
      }, 10_000);
      socket.on('open', () => {
        const identity = {
          ...(this.persona.identities.email ? { email: this.persona.identities.email } : {}),
          ...(this.persona.identities.whatsapp || this.persona.identities.sms
            ? { phone: this.persona.identities.whatsapp ?? this.persona.identities.sms }
            : {}),
          name: this.persona.name,
          exp: Math.floor(Date.now() / 1000) + 3_600,
        };
        socket.send(
          JSON.stringify({
            type: 'hello',
            version: 1,
            ...(this.visitorId && this.resumeToken
              ? { visitorId: this.visitorId, resumeToken: this.resumeToken }
              : {}),
            ...(identity.email || identity.phone
              ? { identityToken: signWebchatIdentityToken(identity, this.secrets.identitySecret) }
              : {}),
            pageUrl: 'https://shop.example/account',
          }),
        );
      });
      socket.on('message', (data) => {
        const frame = JSON.parse(String(data)) as ServerFrame;
        if (frame.type === 'welcome') {
          this.visitorId = frame.visitorId;
          this.resumeToken = frame.resumeToken;
          clearTimeout(timer);
          resolve();
          return;
        }
        this.onFrame(frame);
      });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        reject(new FrameError('connection_failed'));
        for (const pending of this.acks.values())
          pending.reject(new FrameError('connection_failed'));
        this.acks.clear();
        if (this.socket === socket) this.socket = undefined;
        if (!this.closed) void this.reconnect();
      });
    });
  }

  /** A widget comes back by itself (and replays the history it missed). */
  private async reconnect(): Promise<void> {
    for (const wait of reconnectPattern) {
      if (this.closed) return;
      await sleep(wait * this.context.scenario.providers.redeliveryScale);
      try {
        await this.connect();
        return;
      } catch {
        // the next wait
      }
    }
  }

  private onFrame(frame: ServerFrame): void {
    if (frame.type === 'ack') {
      this.acks.get(frame.clientId)?.resolve();
      this.acks.delete(frame.clientId);
    } else if (frame.type === 'error') {
      if (frame.clientId) {
        this.acks.get(frame.clientId)?.reject(new FrameError(frame.code, frame.retryAfterMs));
        this.acks.delete(frame.clientId);
      }
    } else if (frame.type === 'message') {
      this.received(frame.message);
    } else if (frame.type === 'history') {
      for (const message of frame.messages) this.received(message);
    }
  }

  /** A business message reached the widget: it is on screen now (and maybe read soon). */
  private received(message: WireMessage): void {
    if (message.direction !== 'outbound' || this.seen.has(message.id)) return;
    this.seen.add(message.id);
    const text = sentText(message.content);
    this.context.ledger.recordProviderSend({
      channel: 'webchat',
      provider: 'webchat-widget',
      receivedAt: this.context.ledger.now(),
      outcome: 'accepted',
      externalId: `wc_out_${message.id}`,
      to: this.persona.identities.webchat!,
      text,
      ref: replyRef(text),
    });
    if (!message.receipt) return;
    this.frame({ type: 'receipt', messageId: message.id, status: 'delivered' });
    const { readRate, statusDelay } = this.context.scenario.providers;
    if (draw(this.context.scenario.seed, 'webchat-read', message.id) < readRate)
      setTimeout(
        () => this.frame({ type: 'receipt', messageId: message.id, status: 'read' }),
        statusDelay.max,
      ).unref();
  }

  private frame(frame: Record<string, unknown>): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  /** Sends a message and resolves once the gateway acknowledged it (stored). */
  async send(clientRef: string, text: string): Promise<string> {
    await this.connect();
    const clientId = `wc_${this.visitorId}_${clientRef}`;
    const acknowledged = new Promise<void>((resolve, reject) => {
      this.acks.set(clientId, { resolve, reject });
      setTimeout(() => reject(new FrameError('timeout')), 10_000).unref();
    });
    this.frame({ type: 'message', clientId, content: { type: 'text', text } });
    await acknowledged;
    return clientId;
  }

  close(): void {
    this.closed = true;
    this.socket?.close(1000, 'the run is over');
  }
}

/**
 * The web chat widget of each customer, as real WebSocket clients of the gateway's
 * `/webchat/ws` (version 1 of the protocol in the connector's README).
 */
export function createWebchatFake(
  context: FakeContext,
  secrets: WebchatSecrets = webchatSecrets(context.scenario.seed),
): ProviderFake & { secrets: WebchatSecrets } {
  const visitors = new Map<string, Visitor>();
  return {
    name: 'webchat',
    channel: 'webchat',
    secrets,

    gatewayEnvironment() {
      return {
        WEBCHAT_IDENTITY_SECRET: secrets.identitySecret,
        WEBCHAT_SESSION_SECRET: secrets.sessionSecret,
        WEBCHAT_DEMO_PAGE: 'off',
      };
    },

    async deliver(message: PlannedMessage, persona: PlannedPersona) {
      let visitor = visitors.get(persona.id);
      if (!visitor) {
        visitor = new Visitor(context, persona, secrets);
        visitors.set(persona.id, visitor);
      }
      const text =
        message.content.kind === 'text' ? message.content.text : sentText(message.content);
      // the client id is known once the visitor is: until then, the planned id stands in
      const record = context.ledger.customerMessage(message, `pending:${message.id}`);
      const scale = context.scenario.providers.redeliveryScale;
      const clientRef = message.id.replace(/[^A-Za-z0-9]/g, '');
      for (let index = 0; ; index++) {
        const startedAt = context.ledger.now();
        let outcome = 'ack';
        let ok = false;
        let retryAfterMs: number | undefined;
        try {
          record.externalId = await visitor.send(clientRef, text);
          context.ledger.customerByExternalId.set(`webchat:${record.externalId}`, record);
          ok = true;
        } catch (error) {
          outcome = error instanceof FrameError ? error.outcome : 'connection_failed';
          retryAfterMs = error instanceof FrameError ? error.retryAfterMs : undefined;
        }
        const attempt = { startedAt, endedAt: context.ledger.now(), outcome, ok };
        if (record.acknowledged) record.extraDeliveries.push(attempt);
        else {
          record.attempts.push(attempt);
          if (ok) record.acknowledged = attempt;
        }
        if (!ok) context.ledger.count('errors', `ingress_webchat_${outcome}`);
        if (ok) {
          if (record.extraDeliveries.length + 1 >= message.deliveries) return;
          context.ledger.count('faults', 'webhook_redelivered');
          continue;
        }
        const wait = retryAfterMs ?? reconnectPattern[index];
        if (wait === undefined) {
          record.abandoned = true;
          return;
        }
        await sleep(wait * (retryAfterMs ? 1 : scale));
      }
    },

    async close() {
      for (const visitor of visitors.values()) visitor.close();
    },
  };
}
