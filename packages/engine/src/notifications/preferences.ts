import type { Channel, NotificationPreferences, QuietHours } from '@threadline/schema';
import type { FrequencyCap, LiveConversationPolicy } from './notification-rules.js';

/** The deployment's defaults (`THREADLINE_NOTIFY_*`): what an unset preference falls back to. */
export interface NotificationDefaults {
  timezone: string;
  quietHours: QuietHours | null;
  /** Per category per contact; null: no cap. */
  frequencyCap: FrequencyCap | null;
  /** A customer who wrote less than this long ago is in a live conversation. */
  liveWindowMs: number;
  livePolicy: LiveConversationPolicy;
}

export const defaultNotificationDefaults: NotificationDefaults = {
  timezone: 'UTC',
  quietHours: null,
  frequencyCap: null,
  liveWindowMs: 5 * 60_000,
  livePolicy: 'defer',
};

/** Preferences with every field decided. */
export interface ResolvedPreferences {
  timezone: string;
  quietHours: QuietHours | null;
  channels: Channel[];
  categoryOptOut: boolean;
  categoryChannels: Channel[] | undefined;
}

/**
 * A contact's preferences for one category: each unset field falls back to the deployment
 * default; the channel order to the contact's own channel preference. (`quietHours: null`
 * set by the contact means none, even when the deployment has some.)
 */
export function resolvePreferences(
  stored: NotificationPreferences | undefined,
  defaults: NotificationDefaults,
  category: string,
  contactChannelPreference: Channel[],
): ResolvedPreferences {
  const categoryPreference = stored?.categories?.[category];
  return {
    timezone: stored?.timezone ?? defaults.timezone,
    quietHours: stored?.quietHours === undefined ? defaults.quietHours : stored.quietHours,
    channels: stored?.channels?.length ? stored.channels : contactChannelPreference,
    categoryOptOut: categoryPreference?.optOut ?? false,
    categoryChannels: categoryPreference?.channels,
  };
}
