import { createRoute } from '@hono/zod-openapi';
import { timeseriesMetrics } from '@threadline/engine';
import { channelSchema } from '@threadline/schema';
import { z } from 'zod';
import { httpError } from '../http-errors.js';
import { type App, bearer, errorResponses, json, type RouteRuntime } from './route-helpers.js';

const dayMs = 24 * 60 * 60 * 1000;
const maxRangeDays = 400;
const maxBuckets = 2_000;

const time = z.iso.datetime({ offset: false });
const rangeQuery = {
  from: time
    .optional()
    .describe('start (ISO 8601 UTC): hour buckets starting at or after it; default: `to` − 7 days'),
  to: time.optional().describe('end, excluded (ISO 8601 UTC); default: the next full hour'),
  channel: channelSchema.optional().describe('only this channel (the customer’s)'),
};
const summaryQuerySchema = z.strictObject({
  ...rangeQuery,
  integrationId: z.string().min(1).max(200).optional().describe('only this integration'),
});
const timeseriesQuerySchema = z.strictObject({
  ...rangeQuery,
  metric: z.enum(timeseriesMetrics).describe('the figure to follow'),
  interval: z.enum(['hour', 'day']).default('day').describe('bucket size (UTC)'),
  integrationId: z.string().min(1).max(200).optional().describe('only this integration'),
});

const durationSchema = z
  .object({
    count: z.number().int(),
    mean: z.number().nullable(),
    min: z.number().nullable(),
    max: z.number().nullable(),
    p50: z.number().nullable(),
    p90: z.number().nullable(),
    p99: z.number().nullable(),
  })
  .describe('seconds; percentiles from a log-scale histogram (within 4.4 %, min and max exact)')
  .meta({ id: 'AnalyticsDuration' });
const byReason = z.record(z.string(), z.number().int());
const ratio = z.number().nullable().describe('a share in [0, 1]; null when the whole is 0');

const summarySchema = z
  .object({
    from: z.string(),
    to: z.string(),
    channel: z.string().nullable(),
    integrationId: z.string().nullable(),
    conversations: z.object({
      opened: z.number().int(),
      reopened: z.number().int(),
      resolved: z.number().int(),
      reopenRate: ratio.describe('reopenings / resolutions'),
      messagesReceived: z.number().int(),
      replies: z.number().int(),
    }),
    firstResponse: durationSchema,
    response: durationSchema,
    resolution: durationSchema,
    continuity: z.object({
      channelSwitches: z.number().int(),
      crossChannelConversations: z.number().int(),
      crossChannelShare: ratio.describe('cross-channel conversations / conversations opened'),
      continuityKept: z.number().int(),
      continuityKeptShare: ratio.describe('kept / cross-channel'),
      breaksRepaired: z.number().int(),
    }),
    handoffs: z.object({
      passes: z.object({ total: z.number().int(), byReason }),
      handoffs: z.number().int(),
      timeInFirstIntegration: durationSchema,
      containment: z.object({
        resolved: z.number().int(),
        contained: z.number().int(),
        rate: ratio,
      }),
    }),
    notifications: z.object({
      sent: z.number().int(),
      suppressed: z.object({ total: z.number().int(), byReason }),
      replied: z.number().int(),
      replyRate: ratio,
    }),
  })
  .meta({ id: 'AnalyticsSummary' });

const timeseriesSchema = z
  .object({
    metric: z.string(),
    interval: z.enum(['hour', 'day']),
    buckets: z.array(
      z.object({
        start: z.string(),
        count: z.number().int(),
        mean: z.number().nullable().optional(),
        p50: z.number().nullable().optional(),
        p90: z.number().nullable().optional(),
        p99: z.number().nullable().optional(),
      }),
    ),
  })
  .meta({ id: 'AnalyticsTimeseries' });

const rebuildSchema = z
  .object({ events: z.number().int(), conversations: z.number().int() })
  .meta({ id: 'AnalyticsRebuild' });

/** [from, to) with the defaults, refused when backwards or too long. */
function range(now: Date, query: { from?: string | undefined; to?: string | undefined }) {
  const to = query.to ?? new Date(Math.ceil(now.getTime() / 3_600_000) * 3_600_000).toISOString();
  const from = query.from ?? new Date(Date.parse(to) - 7 * dayMs).toISOString();
  const span = Date.parse(to) - Date.parse(from);
  if (span <= 0)
    throw httpError('validation_failed', 'from: must be before to', {
      issues: [{ path: 'from', message: 'must be before to' }],
    });
  if (span > maxRangeDays * dayMs)
    throw httpError('validation_failed', `to: at most ${maxRangeDays} days after from`, {
      issues: [{ path: 'to', message: `at most ${maxRangeDays} days after from` }],
    });
  return { from, to, span };
}

/** CX analytics: every figure over a range, one figure over time, and a rebuild. */
export function registerAnalyticsRoutes(app: App, runtime: RouteRuntime): void {
  const analytics = runtime.engine.analytics;
  const read = runtime.auth.require('read');
  const admin = runtime.auth.require('admin');

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/analytics/summary',
      operationId: 'analytics.summary',
      tags: ['Analytics'],
      summary:
        'Every figure over a range: response and resolution times, continuity, handoffs, notifications',
      security: bearer,
      middleware: [read] as const,
      request: { query: summaryQuerySchema },
      responses: { 200: json(summarySchema, 'The figures'), ...errorResponses },
    }),
    async (context) => {
      const query = context.req.valid('query');
      const { from, to } = range(runtime.engine.clock.now(), query);
      return context.json(
        await analytics.summary({
          from,
          to,
          channel: query.channel,
          integrationId: query.integrationId,
        }),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/analytics/timeseries',
      operationId: 'analytics.timeseries',
      tags: ['Analytics'],
      summary: 'One figure over time, by hour or by day',
      security: bearer,
      middleware: [read] as const,
      request: { query: timeseriesQuerySchema },
      responses: { 200: json(timeseriesSchema, 'A point per bucket'), ...errorResponses },
    }),
    async (context) => {
      const query = context.req.valid('query');
      const { from, to, span } = range(runtime.engine.clock.now(), query);
      if (span / (query.interval === 'hour' ? 3_600_000 : dayMs) > maxBuckets)
        throw httpError('validation_failed', `interval: more than ${maxBuckets} buckets`, {
          issues: [{ path: 'interval', message: `more than ${maxBuckets} buckets; use day` }],
        });
      return context.json(
        await analytics.timeseries({
          from,
          to,
          channel: query.channel,
          integrationId: query.integrationId,
          metric: query.metric,
          interval: query.interval,
        }),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/analytics/rebuild',
      operationId: 'analytics.rebuild',
      tags: ['Analytics'],
      summary: 'Rebuild every figure from the event log (after a definition change)',
      security: bearer,
      middleware: [admin] as const,
      responses: { 200: json(rebuildSchema, 'Events folded'), ...errorResponses },
    }),
    async (context) => context.json(await analytics.rebuild(), 200),
  );
}
