import type { Environment } from '@threadline/connector-kit';
import {
  isTimeZone,
  type LiveConversationPolicy,
  type NotificationDefaults,
  parseDuration,
} from '@threadline/engine';

const policies: LiveConversationPolicy[] = ['defer', 'send', 'suppress'];

/**
 * The deployment's notification defaults from `THREADLINE_NOTIFY_*` (see docs/notifications.md);
 * what a contact's unset preferences fall back to. Unset variables leave the engine defaults.
 */
export function notificationDefaultsFromEnv(env: Environment): Partial<NotificationDefaults> {
  const defaults: Partial<NotificationDefaults> = {};
  const timezone = env.THREADLINE_NOTIFY_TIMEZONE?.trim();
  if (timezone) {
    if (!isTimeZone(timezone))
      throw new Error(
        `THREADLINE_NOTIFY_TIMEZONE must be an IANA time zone such as Europe/Paris, not "${timezone}"`,
      );
    defaults.timezone = timezone;
  }
  const quiet = env.THREADLINE_NOTIFY_QUIET_HOURS?.trim();
  if (quiet !== undefined && quiet !== '') {
    const match = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/.exec(quiet);
    if (quiet === 'none') defaults.quietHours = null;
    else if (!match)
      throw new Error(
        `THREADLINE_NOTIFY_QUIET_HOURS must be "HH:MM-HH:MM" (e.g. 22:00-08:00) or "none", not "${quiet}"`,
      );
    else defaults.quietHours = { start: `${match[1]}:${match[2]}`, end: `${match[3]}:${match[4]}` };
  }
  const cap = env.THREADLINE_NOTIFY_FREQUENCY_CAP?.trim();
  if (cap !== undefined && cap !== '') {
    const match = /^(\d+)\/(.+)$/.exec(cap);
    if (cap === 'none') defaults.frequencyCap = null;
    else if (!match || Number(match[1]) < 1)
      throw new Error(
        `THREADLINE_NOTIFY_FREQUENCY_CAP must be "N/period" (e.g. 3/24h) or "none", not "${cap}"`,
      );
    else defaults.frequencyCap = { limit: Number(match[1]), windowMs: parseDuration(match[2]!) };
  }
  const window = env.THREADLINE_NOTIFY_LIVE_WINDOW?.trim();
  if (window) defaults.liveWindowMs = parseDuration(window);
  const policy = env.THREADLINE_NOTIFY_LIVE_POLICY?.trim();
  if (policy) {
    if (!policies.includes(policy as LiveConversationPolicy))
      throw new Error(
        `THREADLINE_NOTIFY_LIVE_POLICY must be defer, send or suppress, not "${policy}"`,
      );
    defaults.livePolicy = policy as LiveConversationPolicy;
  }
  return defaults;
}
