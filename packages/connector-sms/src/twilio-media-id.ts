const sidPattern = /^[A-Za-z0-9-]{1,64}$/;
const mediaPathPattern =
  /\/2010-04-01\/Accounts\/([^/]+)\/Messages\/([A-Za-z0-9-]{1,64})\/Media\/([A-Za-z0-9-]{1,64})$/;

/**
 * The media id for a Twilio media URL of this account: `<MessageSid>.<MediaSid>`
 * (`MM….ME…`). It names the media without the host or the account, so it is safe to show
 * to apps; {@link twilioMediaPath} turns it back into the API path. Undefined for a URL that
 * is not a media resource of this account.
 */
export function toTwilioMediaId(mediaUrl: URL, accountSid: string): string | undefined {
  const match = mediaPathPattern.exec(mediaUrl.pathname);
  if (!match || match[1] !== accountSid) return undefined;
  return `${match[2]}.${match[3]}`;
}

/** The API path of a media id made by {@link toTwilioMediaId}, or undefined if it is not one. */
export function twilioMediaPath(mediaId: string, accountSid: string): string | undefined {
  const [messageSid, mediaSid, ...rest] = mediaId.split('.');
  if (rest.length > 0 || !messageSid || !mediaSid) return undefined;
  if (!sidPattern.test(messageSid) || !sidPattern.test(mediaSid)) return undefined;
  return `/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages/${messageSid}/Media/${mediaSid}`;
}
