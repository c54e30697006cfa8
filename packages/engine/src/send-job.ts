import {
  type ConnectorV1,
  type OutboundMessage,
  toErrorDisposition,
} from '@threadline/connector-kit';
import type { Content, Message, MessageError, MessageStatus } from '@threadline/schema';
import { nextRetryDelay } from './backoff.js';
import type { EngineContext } from './engine-context.js';
import { failMessage } from './fallback.js';
import { applyStatus } from './message-status.js';
import { onNotificationMessageStatus } from './notifications/notification-hooks.js';
import type { Job } from './ports.js';
import { isoTime } from './unit-of-work.js';

const finalStatuses: MessageStatus[] = ['read', 'failed'];

/** The message as the connector sends it: rendered content, and the thread it continues. */
async function buildOutbound(
  context: EngineContext,
  message: Message,
  connector: ConnectorV1,
): Promise<OutboundMessage> {
  const reader = context.store.read;
  // Only connectors that thread by earlier messages (email References, a subject) need the history.
  const history = connector.threadHistory
    ? await reader.listConversationMessages(message.conversationId, { limit: 500 })
    : [];
  const threadExternalIds = history
    .filter(
      (entry) => entry.connectorId === connector.id && entry.externalId && entry.id !== message.id,
    )
    .map((entry) => entry.externalId!)
    .slice(-20);
  const replyTo = message.replyToId ? await reader.getMessage(message.replyToId) : undefined;
  const subject = [...history]
    .reverse()
    .find((entry) => typeof entry.channelData.subject === 'string')?.channelData.subject;
  const content = (message.channelData.rendered as Content | undefined) ?? message.content;
  return {
    id: message.id,
    conversationId: message.conversationId,
    to: message.to,
    content,
    ...(replyTo?.externalId && replyTo.connectorId === connector.id
      ? { replyToExternalId: replyTo.externalId }
      : {}),
    ...(threadExternalIds.length ? { threadExternalIds } : {}),
    channelData: { ...message.channelData, ...(subject ? { subject } : {}) },
  };
}

/** Waits that are not failures: an earlier message still queued, or a rate limit. */
async function waitBeforeSending(
  context: EngineContext,
  job: Job,
  message: Message,
  connector: ConnectorV1,
): Promise<boolean> {
  const { queue, limiter, store, clock } = context;
  const now = clock.now().getTime();
  // Order per conversation: an earlier message still waiting holds this one back. (The
  // embedded queue already hands out one job per conversation at a time.)
  if (!queue.inStore && (await store.read.hasEarlierQueued(message.conversationId, message.id))) {
    await queue.reschedule(job, new Date(now + 250), 'waiting for an earlier message', {
      countAttempt: false,
    });
    return true;
  }
  const perSecond = connector.rateLimit?.perSecond;
  const wait = perSecond ? await limiter.take(connector.id, perSecond, now) : 0;
  const perRecipient = connector.rateLimit?.perRecipientPerSecond;
  const recipientWait =
    wait === 0 && perRecipient
      ? await limiter.take(`${connector.id}:${message.to.address}`, perRecipient, now)
      : 0;
  if (wait === 0 && recipientWait === 0) return false;
  await queue.reschedule(
    job,
    new Date(now + Math.max(wait, recipientWait)),
    'waiting for the rate limit',
    {
      countAttempt: false,
    },
  );
  return true;
}

/**
 * Send one queued message through its connector. Accepted = `sent` (statuses that arrived
 * first apply now); a retryable failure runs again with backoff; a final one fails the message.
 */
export async function runSendJob(context: EngineContext, job: Job): Promise<void> {
  const { queue, store, clock, backoff, log } = context;
  const messageId = String(job.payload.messageId);
  const message = await store.read.getMessage(messageId);
  if (message?.status !== 'queued') {
    await queue.complete(job);
    return;
  }
  const connector = context.connectors().get(message.connectorId);
  if (!connector) {
    await context.transact(async (unit) => {
      await failMessage(context, unit, message, {
        code: 'configuration_invalid',
        message: `connector ${message.connectorId} is not configured`,
        retryable: false,
      });
      await context.finishJob(unit, job);
    });
    return;
  }
  if (await waitBeforeSending(context, job, message, connector)) return;
  try {
    const result = await connector.send(await buildOutbound(context, message, connector));
    await context.transact(async (unit) => {
      const current = (await unit.tx.getMessage(message.id)) ?? message;
      // Accepted by the provider = it left the gateway: `sent` (or further, if the provider says so).
      const status: MessageStatus = result.status === 'delivered' ? 'delivered' : 'sent';
      const sent: Message = {
        ...current,
        externalId: result.externalId,
        status: current.status === 'queued' ? status : current.status,
        updatedAt: isoTime(unit.now),
        channelData: {
          ...current.channelData,
          ...result.channelData,
          ...(result.status ? { providerStatus: result.status } : {}),
        },
      };
      await unit.tx.updateMessage(sent);
      await context.emit(unit, 'message.sent', { message: sent });
      await onNotificationMessageStatus(context, unit, sent);
      for (const pending of await unit.tx.takePendingStatuses(connector.id, result.externalId)) {
        const event = pending.event as { status: MessageStatus; error?: MessageError };
        const latest = (await unit.tx.getMessage(message.id))!;
        await applyStatus(context, unit, latest, event.status, event.error);
      }
      await context.finishJob(unit, job);
    });
  } catch (error) {
    const disposition = toErrorDisposition(error);
    const attempt = job.attempts + 1;
    const fields = { messageId, connectorId: connector.id, code: disposition.code };
    if (disposition.retryable && attempt < backoff.maxAttempts) {
      const delay = nextRetryDelay(attempt, backoff, disposition.retryAfterMs, context.random);
      log('warn', 'send failed, retrying', { ...fields, attempt, delayMs: delay });
      await queue.reschedule(
        job,
        new Date(clock.now().getTime() + delay),
        `${disposition.code}: ${disposition.message}`,
        { countAttempt: true },
      );
      return;
    }
    log('warn', 'send failed', fields);
    await context.transact(async (unit) => {
      const current = (await unit.tx.getMessage(message.id)) ?? message;
      if (!finalStatuses.includes(current.status)) {
        await failMessage(context, unit, current, {
          code: disposition.code,
          message: disposition.message,
          retryable: disposition.retryable,
        });
      }
      await context.finishJob(unit, job);
    });
  }
}
