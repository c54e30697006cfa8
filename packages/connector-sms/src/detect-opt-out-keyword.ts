import type { OptOutKeyword } from '@threadline/connector-kit';

/** What an SMS keyword asks for (the contract's `optOut`): stop, start again, or help. */
export type { OptOutKeyword };

/**
 * The standard carrier keywords (CTIA), plus REVOKE and OPTOUT, which Twilio also honours
 * by default on long codes.
 */
const keywords = new Map<string, OptOutKeyword>([
  ['STOP', 'stop'],
  ['STOPALL', 'stop'],
  ['UNSUBSCRIBE', 'stop'],
  ['CANCEL', 'stop'],
  ['END', 'stop'],
  ['QUIT', 'stop'],
  ['REVOKE', 'stop'],
  ['OPTOUT', 'stop'],
  ['START', 'start'],
  ['YES', 'start'],
  ['UNSTOP', 'start'],
  ['HELP', 'help'],
  ['INFO', 'help'],
]);

const providerTypes = new Map<string, OptOutKeyword>([
  ['STOP', 'stop'],
  ['START', 'start'],
  ['HELP', 'help'],
]);

/**
 * The opt-out keyword an inbound SMS is, if any: the whole body, trimmed, in any case.
 * Twilio's Advanced Opt-Out names the keyword it matched in `OptOutType` (including custom
 * keywords configured on a Messaging Service); that wins when present.
 */
export function detectOptOutKeyword(
  body: string,
  optOutType?: string | null,
): OptOutKeyword | undefined {
  const fromProvider = optOutType ? providerTypes.get(optOutType.trim().toUpperCase()) : undefined;
  return fromProvider ?? keywords.get(body.trim().toUpperCase());
}
