import { ConnectorError, type OutboundMessage } from '@threadline/connector-kit';
import { countSmsSegments, type SmsSegmentCount } from './count-sms-segments.js';

/** Who the message is sent as: a number (or alphanumeric sender id), a Messaging Service, or both. */
export interface TwilioSender {
  fromNumber?: string | undefined;
  messagingServiceSid?: string | undefined;
}

export interface TwilioMessageForm {
  /** The form body for `POST /2010-04-01/Accounts/{sid}/Messages.json`. */
  form: URLSearchParams;
  /** Segments and encoding of the body text, recorded in the message's `channelData`. */
  segments: SmsSegmentCount;
  mediaCount: number;
}

/**
 * The Twilio form for one outbound message: `To`, `From` and/or `MessagingServiceSid`, `Body`,
 * one `MediaUrl` per attachment (MMS) and `StatusCallback`. The content must already fit the
 * SMS capabilities; media needs a URL Twilio can fetch.
 */
export function buildTwilioMessageForm(
  message: OutboundMessage,
  sender: TwilioSender,
  statusCallbackUrl: string | undefined,
): TwilioMessageForm {
  const { body, mediaUrls } = bodyAndMedia(message);
  if (body.length === 0 && mediaUrls.length === 0) {
    throw ConnectorError.unsupportedContent('sms', 'a message needs text or media');
  }
  const form = new URLSearchParams();
  form.append('To', message.to.address);
  if (sender.fromNumber) form.append('From', sender.fromNumber);
  if (sender.messagingServiceSid) form.append('MessagingServiceSid', sender.messagingServiceSid);
  if (body.length > 0) form.append('Body', body);
  for (const url of mediaUrls) form.append('MediaUrl', url);
  if (statusCallbackUrl) form.append('StatusCallback', statusCallbackUrl);
  return { form, segments: countSmsSegments(body), mediaCount: mediaUrls.length };
}

function bodyAndMedia(message: OutboundMessage): { body: string; mediaUrls: string[] } {
  const { content } = message;
  switch (content.type) {
    case 'text':
      return {
        body: content.text,
        mediaUrls: (content.attachments ?? []).map((attachment) =>
          publicUrlOf(attachment.url, attachment.kind),
        ),
      };
    case 'media':
      return { body: content.caption ?? '', mediaUrls: [publicUrlOf(content.url, content.kind)] };
    default:
      throw ConnectorError.unsupportedContent('sms', `${content.type} content is not an SMS`);
  }
}

function publicUrlOf(url: string | undefined, kind: string): string {
  if (!url) {
    throw ConnectorError.unsupportedContent(
      'sms',
      `the ${kind} has no URL: MMS media must be at a public URL Twilio can fetch`,
    );
  }
  return url;
}
