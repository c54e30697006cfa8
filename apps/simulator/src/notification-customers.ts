import type { ThreadlineClient } from '@threadline/client';
import { quietHoursEnd } from '@threadline/engine';
import type { Notification, NotificationPreferences } from '@threadline/schema';
import type { HandoffCheck } from './handoff-apps.js';
import { createRandom, hashSeed } from './random.js';
import type { TrafficLedger } from './traffic-ledger.js';

/** Settings of the `notifications` scenario (`app.notifications`). */
export interface NotificationSettings {
  /** Notifications of one category per contact per day (`THREADLINE_NOTIFY_FREQUENCY_CAP`). */
  frequencyCap: number;
  /** How long an undelivered notification waits before its fallback. */
  fallbackAfter: string;
}

/** The gateway's defaults the scenario runs with. */
export function notificationEnvironment(settings: NotificationSettings): Record<string, string> {
  return {
    THREADLINE_NOTIFY_FREQUENCY_CAP: `${settings.frequencyCap}/24h`,
    // customers write first (so the gateway knows them); notifications go out while they do
    THREADLINE_NOTIFY_LIVE_POLICY: 'send',
  };
}

const zones = ['Asia/Shanghai', 'America/New_York', 'Europe/Paris', 'Australia/Sydney', 'UTC'];
type Profile = 'quiet' | 'opted-out' | 'capped' | 'plain';

interface Customer {
  contactId: string;
  profile: Profile;
  preferences: NotificationPreferences;
  results: { id: string; critical: boolean }[];
}

/** "HH:MM" on the clock of `timezone`, `hours` from now. */
const clockIn = (timezone: string, hours: number) =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone: timezone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(Date.now() + hours * 3_600_000));

/**
 * Customers with time zones, quiet hours, opt-outs and caps: once a customer's first message
 * is seen (the gateway knows them), they get preferences and notifications; their next
 * message, on another channel, is the reply. The checks read every notification back.
 */
export function createNotificationCustomers(options: {
  client: ThreadlineClient;
  ledger: TrafficLedger;
  settings: NotificationSettings;
  seed: number;
  log: (line: string) => void;
}) {
  const { client, ledger, settings } = options;
  const customers = new Map<string, Customer>();
  const pending = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;

  async function notifyCustomer(contactId: string, personaId: string): Promise<void> {
    const random = createRandom(hashSeed(options.seed, 'notifications', personaId));
    const profile = random.pick<Profile>(['quiet', 'opted-out', 'capped', 'plain']);
    const timezone = random.pick(zones);
    // quiet customers are inside their window now; the others are hours away from it
    const quietHours =
      profile === 'quiet'
        ? { start: clockIn(timezone, -1), end: clockIn(timezone, 3) }
        : { start: clockIn(timezone, 3), end: clockIn(timezone, 6) };
    const preferences: NotificationPreferences = {
      timezone,
      quietHours,
      channels: ['sms', 'telegram'],
      ...(profile === 'opted-out' ? { categories: { marketing: { optOut: true } } } : {}),
    };
    await client.contacts.putPreferences(contactId, preferences);
    const customer: Customer = { contactId, profile, preferences, results: [] };
    customers.set(contactId, customer);
    const send = async (category: string, critical = false) => {
      const result = await client.notifications.send({
        to: { contactId },
        category,
        content: { type: 'text', text: `${category} update for you` },
        critical,
        // SMS reports delivery but never a read: `read` notifications fall back to Telegram
        fallback: {
          after: settings.fallbackAfter,
          until: profile === 'plain' ? 'read' : 'delivered',
        },
        idempotencyKey: `${personaId}-${customer.results.length}`,
      });
      customer.results.push({ id: result.id, critical });
    };
    await send('orders');
    if (profile === 'quiet') await send('security', true);
    if (profile === 'opted-out') await send('marketing');
    if (profile === 'capped')
      for (let extra = 0; extra < settings.frequencyCap; extra++) await send('orders');
  }

  function scan(): void {
    for (const record of ledger.customer.values()) {
      const seen = record.seenByApp[0];
      if (!seen || !record.message.id.endsWith('.1') || customers.has(seen.contactId)) continue;
      customers.set(seen.contactId, {
        contactId: seen.contactId,
        profile: 'plain',
        preferences: {},
        results: [],
      });
      const work = notifyCustomer(seen.contactId, record.message.personaId).catch((error) =>
        options.log(`notifying ${seen.contactId} failed: ${String(error)}`),
      );
      pending.add(work);
      void work.finally(() => pending.delete(work));
    }
  }

  return {
    start() {
      timer = setInterval(scan, 50);
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await Promise.all([...pending]);
    },
    /** Every notification sent, read back, checked against each customer's rules. */
    async check(): Promise<HandoffCheck[]> {
      const read: { customer: Customer; notification: Notification }[] = [];
      for (const customer of customers.values())
        for (const result of customer.results)
          read.push({ customer, notification: await client.notifications.get(result.id) });
      const queuedAt = (n: Notification) => n.timeline.find((item) => item.type === 'queued');
      const inQuiet = read.filter(({ customer, notification }) => {
        const queued = queuedAt(notification);
        const quiet = customer.preferences.quietHours ?? null;
        return (
          queued &&
          !notification.critical &&
          quietHoursEnd(new Date(queued.at), customer.preferences.timezone!, quiet) !== null
        );
      });
      const deferred = read.filter(
        ({ notification }) => notification.reason === 'quiet_hours',
      ).length;
      const optedOut = read.filter(
        ({ customer, notification }) =>
          customer.preferences.categories?.[notification.category]?.optOut &&
          queuedAt(notification),
      );
      const suppressedOptOut = read.filter(
        ({ notification }) => notification.reason === 'opted_out',
      ).length;
      const perCategory = new Map<string, number>();
      for (const { notification } of read)
        if (queuedAt(notification) && !notification.critical) {
          const key = `${notification.contactId}/${notification.category}`;
          perCategory.set(key, (perCategory.get(key) ?? 0) + 1);
        }
      const overCap = [...perCategory.values()].filter(
        (sent) => sent > settings.frequencyCap,
      ).length;
      const capped = read.filter(
        ({ notification }) => notification.reason === 'frequency_cap',
      ).length;
      const afterMs =
        Number.parseFloat(settings.fallbackAfter) *
        (settings.fallbackAfter.endsWith('ms') ? 1 : 1000);
      let fallbacks = 0;
      const early = read.filter(({ notification }) =>
        notification.timeline.some((item, index) => {
          if (item.type !== 'fallback') return false;
          fallbacks += 1;
          const before = notification.timeline.slice(0, index);
          const queued = queuedAt(notification)!;
          const reached =
            notification.fallback?.until === 'read' ? ['read'] : ['delivered', 'read'];
          return (
            before.some((entry) => reached.includes(entry.type)) ||
            Date.parse(item.at) - Date.parse(queued.at) < afterMs
          );
        }),
      );
      let replies = 0;
      const elsewhere: string[] = [];
      for (const { notification } of read) {
        if (!notification.replyMessageId) continue;
        replies += 1;
        const reply = await client.messages.get(notification.replyMessageId);
        if (reply.conversationId !== notification.conversationId) elsewhere.push(notification.id);
      }
      return [
        {
          name: '0 sent in quiet hours (non-critical)',
          ok: inQuiet.length === 0 && deferred > 0,
          detail: `${inQuiet.length} sent inside the contact's quiet hours; ${deferred} deferred to the window's end`,
        },
        {
          name: '0 sent to opted-out categories',
          ok: optedOut.length === 0 && suppressedOptOut > 0,
          detail: `${optedOut.length} sent; ${suppressedOptOut} suppressed as opted_out`,
        },
        {
          name: 'frequency caps held',
          ok: overCap === 0 && capped > 0,
          detail: `${overCap} contact categories over ${settings.frequencyCap} a day; ${capped} suppressed as frequency_cap`,
        },
        {
          name: 'fallbacks fired only when due',
          ok: early.length === 0 && fallbacks > 0,
          detail: `${fallbacks} fallbacks; ${early.length} before the wait or after delivery`,
        },
        {
          name: "every reply in the notification's conversation",
          ok: elsewhere.length === 0 && replies > 0,
          detail: `${replies - elsewhere.length} of ${replies} replies (on another channel) in the notification's conversation`,
        },
      ];
    },
  };
}
