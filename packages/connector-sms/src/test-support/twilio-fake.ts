import type { ProviderFailure, ProviderFake, RecordedSend } from '@threadline/connector-kit/test';
import { HttpResponse, http, type RequestHandler } from 'msw';

export interface FakeTwilioMessage {
  sid: string;
  form: URLSearchParams;
}

export interface FakeMedia {
  contentType: string;
  body: Uint8Array;
}

/** Where the fake's media storage redirects to, as Twilio redirects to its CDN. */
export const mediaStorageOrigin = 'https://s3-external-1.amazonaws.com';

/**
 * A Twilio Messaging API at `apiBase`, faked with msw: `Messages.json` with basic auth and
 * Twilio's error bodies, and media behind basic auth that redirects to storage.
 */
export class TwilioFake implements ProviderFake {
  readonly messages: FakeTwilioMessage[] = [];
  readonly media = new Map<string, FakeMedia>();
  private readonly failures: ProviderFailure[] = [];
  private counter = 0;

  constructor(
    private readonly options: { apiBase: string; accountSid: string; authToken: string },
  ) {}

  sent(): RecordedSend[] {
    return this.messages.map((message) => ({ externalId: message.sid }));
  }

  failNext(failure: ProviderFailure): void {
    this.failures.push(failure);
  }

  reset(): void {
    this.messages.length = 0;
    this.failures.length = 0;
  }

  private authorized(request: Request): boolean {
    const expected = `Basic ${Buffer.from(`${this.options.accountSid}:${this.options.authToken}`).toString('base64')}`;
    return request.headers.get('authorization') === expected;
  }

  private nextSid(prefix: string): string {
    this.counter += 1;
    return `${prefix}${this.counter.toString(16).padStart(32, '0')}`;
  }

  handlers(): RequestHandler[] {
    const { apiBase, accountSid } = this.options;
    const accountPath = `${apiBase}/2010-04-01/Accounts/${accountSid}`;
    return [
      http.post(`${accountPath}/Messages.json`, async ({ request }) => {
        if (!this.authorized(request)) return twilioError(401, 20003, 'Authenticate');
        const failure = this.failures.shift();
        if (failure?.kind === 'rate_limited') {
          return twilioError(429, 20429, 'Too Many Requests', {
            'retry-after': String(Math.round(failure.retryAfterMs / 1000)),
          });
        }
        if (failure?.kind === 'unavailable') return twilioError(503, 20503, 'Service Unavailable');
        const form = new URLSearchParams(await request.text());
        if (failure?.kind === 'rejected') {
          return twilioError(
            400,
            21211,
            `The 'To' number ${form.get('To')} is not a valid phone number.`,
          );
        }
        if (!form.get('Body') && !form.get('MediaUrl')) {
          return twilioError(400, 21602, 'Message body is required.');
        }
        const sid = this.nextSid(form.has('MediaUrl') ? 'MM' : 'SM');
        this.messages.push({ sid, form });
        return HttpResponse.json(
          {
            account_sid: accountSid,
            api_version: '2010-04-01',
            body: form.get('Body') ?? '',
            date_created: 'Sun, 22 Nov 2026 09:15:00 +0000',
            date_sent: null,
            date_updated: 'Sun, 22 Nov 2026 09:15:00 +0000',
            direction: 'outbound-api',
            error_code: null,
            error_message: null,
            from: form.get('From'),
            messaging_service_sid: form.get('MessagingServiceSid'),
            num_media: String(form.getAll('MediaUrl').length),
            num_segments: '1',
            price: null,
            price_unit: 'USD',
            sid,
            status: form.has('MessagingServiceSid') ? 'accepted' : 'queued',
            subresource_uris: {
              media: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}/Media.json`,
            },
            to: form.get('To'),
            uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`,
          },
          { status: 201 },
        );
      }),
      http.get(`${accountPath}/Messages/:messageSid/Media/:mediaSid`, ({ request, params }) => {
        if (!this.authorized(request)) return twilioError(401, 20003, 'Authenticate');
        const key = `${String(params.messageSid)}/${String(params.mediaSid)}`;
        if (!this.media.has(key)) {
          return twilioError(
            404,
            20404,
            `The requested resource ${new URL(request.url).pathname} was not found`,
          );
        }
        return new HttpResponse(null, {
          status: 307,
          headers: { location: `${mediaStorageOrigin}/media.twiliocdn.com/${accountSid}/${key}` },
        });
      }),
      http.get(
        `${mediaStorageOrigin}/media.twiliocdn.com/:account/:messageSid/:mediaSid`,
        ({ params }) => {
          const media = this.media.get(`${String(params.messageSid)}/${String(params.mediaSid)}`);
          if (!media) return new HttpResponse('NoSuchKey', { status: 404 });
          return new HttpResponse(media.body, { headers: { 'content-type': media.contentType } });
        },
      ),
    ];
  }
}

/** Twilio's JSON error body. */
export function twilioError(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
) {
  return HttpResponse.json(
    { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
    { status, headers },
  );
}
