import type { MessageStatus } from '@threadline/schema';

const statuses: Record<string, MessageStatus> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  failed: 'failed',
};

/** A Cloud API status (`sent`, `delivered`, `read`, `failed`) as ours; undefined for others. */
export function mapWhatsAppCloudStatus(status: string): MessageStatus | undefined {
  return Object.hasOwn(statuses, status) ? statuses[status] : undefined;
}
