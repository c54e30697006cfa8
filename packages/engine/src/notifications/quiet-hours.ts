import type { QuietHours } from '@threadline/schema';
import { DateTime, IANAZone } from 'luxon';

/** True for an IANA time-zone name this runtime knows ("Asia/Shanghai", "UTC"). */
export function isTimeZone(name: string): boolean {
  return IANAZone.isValidZone(name);
}

const minutesOf = (clockTime: string) => {
  const [hours, minutes] = clockTime.split(':').map(Number);
  return hours! * 60 + minutes!;
};

/**
 * When the quiet hours that `at` falls in end, in the contact's time zone; null when `at` is
 * outside them (or there are none). A window whose start is after its end wraps midnight
 * (22:00–08:00). Wall-clock times are resolved by the time-zone database, so a window's end on
 * a daylight-saving day is the real instant the local clock shows it (a time skipped by the
 * change moves forward to the first instant after it).
 */
export function quietHoursEnd(
  at: Date,
  timezone: string,
  quietHours: QuietHours | null,
): Date | null {
  if (!quietHours) return null;
  const start = minutesOf(quietHours.start);
  const end = minutesOf(quietHours.end);
  if (start === end) return null;
  const local = DateTime.fromJSDate(at, { zone: timezone });
  const now = local.hour * 60 + local.minute;
  const endOn = (day: DateTime) =>
    day.set({ hour: Math.floor(end / 60), minute: end % 60, second: 0, millisecond: 0 }).toJSDate();
  if (start < end) return now >= start && now < end ? endOn(local) : null;
  if (now >= start) return endOn(local.plus({ days: 1 }));
  if (now < end) return endOn(local);
  return null;
}
