/**
 * The environment variables that switch each channel on: what `connectorsFromEnv` reads
 * first, and what a `channel_not_configured` answer tells the operator to set.
 */
export const channelEnvironment: Record<string, { variables: string[]; note?: string }> = {
  sms: {
    variables: ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM_NUMBER'],
    note: 'or TWILIO_MESSAGING_SERVICE_SID instead of TWILIO_FROM_NUMBER',
  },
  whatsapp: {
    variables: [
      'WHATSAPP_ACCESS_TOKEN',
      'WHATSAPP_PHONE_NUMBER_ID',
      'WHATSAPP_APP_SECRET',
      'WHATSAPP_VERIFY_TOKEN',
    ],
    note: 'or WHATSAPP_WEB_ENABLED=1 for a linked device',
  },
  telegram: { variables: ['TELEGRAM_BOT_TOKEN'] },
  email: { variables: ['EMAIL_FROM', 'SMTP_URL'] },
};

/** "set A, B and C (note)" for an error message; undefined for a channel with no variables. */
export function describeChannelEnvironment(channel: string): string | undefined {
  const entry = channelEnvironment[channel];
  if (!entry) return undefined;
  const names = entry.variables;
  const list =
    names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0]!;
  return `set ${list}${entry.note ? ` (${entry.note})` : ''} and restart the gateway`;
}
