import type { ProviderFailure } from '@threadline/connector-kit/test';
import { HttpResponse, http } from 'msw';
import { z } from 'zod';
import { readJsonFixture } from './read-fixture.js';

const link = z.object({
  link: z.url(),
  caption: z.string().max(1024).optional(),
  filename: z.string().optional(),
});
const uncaptioned = z.object({ link: z.url() }).strict();
const base = {
  messaging_product: z.literal('whatsapp'),
  recipient_type: z.literal('individual').optional(),
  to: z.string().regex(/^\d{8,15}$/),
  context: z.object({ message_id: z.string().min(1) }).optional(),
};

/** The Graph API's validation of a send, for the message types we use. */
const sendRequestSchema = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('text'),
    text: z.object({ body: z.string().min(1).max(4096), preview_url: z.boolean().optional() }),
  }),
  z.object({ ...base, type: z.literal('image'), image: link }),
  z.object({ ...base, type: z.literal('video'), video: link }),
  z.object({ ...base, type: z.literal('document'), document: link }),
  z.object({ ...base, type: z.literal('audio'), audio: uncaptioned }),
  z.object({ ...base, type: z.literal('sticker'), sticker: uncaptioned }),
  z.object({
    ...base,
    type: z.literal('interactive'),
    interactive: z.union([
      z.object({
        type: z.literal('button'),
        body: z.object({ text: z.string().min(1).max(1024) }),
        action: z.object({
          buttons: z
            .array(
              z.object({
                type: z.literal('reply'),
                reply: z.object({
                  id: z.string().min(1).max(256),
                  title: z.string().min(1).max(20),
                }),
              }),
            )
            .min(1)
            .max(3),
        }),
      }),
      z.object({
        type: z.literal('list'),
        body: z.object({ text: z.string().min(1).max(4096) }),
        action: z.object({
          button: z.string().min(1).max(20),
          sections: z
            .array(
              z.object({
                title: z.string().max(24).optional(),
                rows: z
                  .array(
                    z.object({ id: z.string().min(1).max(200), title: z.string().min(1).max(24) }),
                  )
                  .min(1)
                  .max(10),
              }),
            )
            .min(1),
        }),
      }),
    ]),
  }),
  z.object({
    ...base,
    type: z.literal('location'),
    location: z.object({
      latitude: z.number(),
      longitude: z.number(),
      name: z.string().optional(),
      address: z.string().optional(),
    }),
  }),
  z.object({
    ...base,
    type: z.literal('contacts'),
    contacts: z
      .array(
        z.object({
          name: z.object({
            formatted_name: z.string().min(1),
            first_name: z.string().optional(),
            last_name: z.string().optional(),
          }),
        }),
      )
      .min(1),
  }),
  z.object({
    ...base,
    type: z.literal('reaction'),
    reaction: z.object({ message_id: z.string().min(1), emoji: z.string() }),
  }),
  z.object({
    ...base,
    type: z.literal('template'),
    template: z.object({
      name: z.string().min(1),
      language: z.object({ code: z.string().min(2) }),
      components: z.array(z.unknown()).optional(),
    }),
  }),
]);

function graphError(status: number, fixture: string, headers: Record<string, string> = {}) {
  return HttpResponse.json(readJsonFixture(`cloud/graph/${fixture}.json`), { status, headers });
}

export interface RecordedCloudSend {
  externalId: string;
  body: Record<string, unknown>;
}

/**
 * Meta's Graph API for one business number, faked with msw: sends are validated and
 * recorded, failures answer with Meta's error bodies, media ids resolve to downloadable URLs.
 */
export function createWhatsAppCloudApiFake(options: {
  graphUrl: string;
  phoneNumberId: string;
  accessToken: string;
}) {
  const sent: RecordedCloudSend[] = [];
  const failures: ProviderFailure[] = [];
  let counter = 0;
  const authorized = (request: Request) =>
    request.headers.get('authorization') === `Bearer ${options.accessToken}`;

  const handlers = [
    http.post(`${options.graphUrl}/:phoneNumberId/messages`, async ({ request, params }) => {
      if (!authorized(request)) return graphError(401, 'error-190');
      if (params.phoneNumberId !== options.phoneNumberId) return graphError(400, 'error-100');
      const failure = failures.shift();
      if (failure?.kind === 'rate_limited') {
        return graphError(400, 'error-130429', {
          'retry-after': String(Math.round(failure.retryAfterMs / 1000)),
        });
      }
      if (failure?.kind === 'unavailable') return graphError(500, 'error-131000');
      if (failure?.kind === 'rejected') return graphError(400, 'error-131026');
      const body = (await request.json()) as Record<string, unknown>;
      if (!sendRequestSchema.safeParse(body).success) return graphError(400, 'error-100');
      counter += 1;
      const externalId = `wamid.HBgLMTQxNTU1NTAxOTkVAgARGBI${counter.toString().padStart(6, '0')}AA==`;
      sent.push({ externalId, body });
      return HttpResponse.json({
        messaging_product: 'whatsapp',
        contacts: [{ input: body.to, wa_id: body.to }],
        messages: [{ id: externalId, message_status: 'accepted' }],
      });
    }),
    http.get(`${options.graphUrl}/:mediaId`, ({ request, params }) => {
      if (!authorized(request)) return graphError(401, 'error-190');
      if (params.mediaId !== '1479537139650973') return graphError(400, 'error-100');
      return HttpResponse.json(readJsonFixture('cloud/graph/media-info.json'));
    }),
    http.get('https://lookaside.fbsbx.com/whatsapp_business/attachments/', ({ request }) => {
      if (!authorized(request)) return new HttpResponse('Unauthorized', { status: 401 });
      return new HttpResponse(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), {
        headers: { 'content-type': 'image/jpeg' },
      });
    }),
  ];

  return {
    handlers,
    sent: () => sent,
    failNext: (failure: ProviderFailure) => {
      failures.push(failure);
    },
    reset: () => {
      sent.length = 0;
      failures.length = 0;
    },
  };
}
