import {
  isStatusAdvance,
  type Message,
  type MessageError,
  type MessageStatus,
} from '@threadline/schema';
import type { EngineContext } from './engine-context.js';
import { fireFallback } from './fallback.js';
import { onNotificationMessageStatus } from './notifications/notification-hooks.js';
import { isoTime, type Unit } from './unit-of-work.js';

/**
 * Move a message's status forward (never back: `queued → sent → delivered → read`, or
 * `failed`); a failure fires the message's `failed` fallback. False when nothing changed.
 */
export async function applyStatus(
  context: EngineContext,
  unit: Unit,
  message: Message,
  status: MessageStatus,
  error: MessageError | undefined,
): Promise<boolean> {
  if (!isStatusAdvance(message.status, status)) return false;
  const updated: Message = {
    ...message,
    status,
    error: status === 'failed' ? (error ?? message.error) : message.error,
    updatedAt: isoTime(unit.now),
  };
  await unit.tx.updateMessage(updated);
  await context.emit(unit, 'message.status_updated', {
    message: updated,
    previousStatus: message.status,
  });
  await onNotificationMessageStatus(context, unit, updated);
  if (status === 'failed') await fireFallback(context, unit, updated, 'failed');
  return true;
}
