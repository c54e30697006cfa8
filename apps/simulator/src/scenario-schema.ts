import { z } from 'zod';
import {
  parseDuration,
  parseDurationRange,
  parsePercent,
  parseRate,
  type Range,
} from './parse-quantities.js';

/** The channels the simulator has fake providers for. */
export const simulatedChannels = ['whatsapp', 'sms', 'email', 'telegram', 'webchat'] as const;
export type SimulatedChannel = (typeof simulatedChannels)[number];

/** What a customer may send, by channel (a contact share links Telegram to the phone). */
export const customerContentKinds = ['text', 'image', 'location', 'contact'] as const;
export type CustomerContentKind = (typeof customerContentKinds)[number];

export const replyContentKinds = ['text', 'interactive', 'image'] as const;
export type ReplyContentKind = (typeof replyContentKinds)[number];

/** Latency hops the simulator measures. */
export const hops = ['provider_ack', 'inbound_to_app', 'app_to_provider', 'round_trip'] as const;
export type Hop = (typeof hops)[number];

export const contentKindsByChannel: Record<SimulatedChannel, readonly CustomerContentKind[]> = {
  whatsapp: ['text', 'image', 'location'],
  sms: ['text', 'image'],
  email: ['text', 'image'],
  telegram: ['text', 'image', 'location', 'contact'],
  webchat: ['text'],
};

const channel = z.enum(simulatedChannels);
const duration = z.union([z.string(), z.number()]).transform((value, context) => {
  try {
    return parseDuration(value);
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});
const durationRange = z
  .union([
    z.string(),
    z.number(),
    z.tuple([z.union([z.string(), z.number()]), z.union([z.string(), z.number()])]),
  ])
  .transform((value, context): Range => {
    try {
      return parseDurationRange(value);
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });
const rate = z.union([z.string(), z.number()]).transform((value, context) => {
  try {
    return parseRate(value);
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});
const fraction = z.union([z.string(), z.number()]).transform((value, context) => {
  try {
    return parsePercent(value);
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});
const oneOrMany = <T extends z.ZodType>(item: T) =>
  z
    .union([item, z.array(item).min(1)])
    .transform((value) => (Array.isArray(value) ? value : [value]) as z.output<T>[]);

const personaGroupSchema = z
  .object({
    name: z.string().min(1),
    count: z.number().int().positive(),
    /** The channels these customers can be reached on: one phone serves whatsapp and sms. */
    identities: z.array(channel).min(1),
    /**
     * How their identities become one contact: `api` — the answering app links the identities
     * its CRM knows with `POST /v1/contacts/:id/identities`; `auto` — only what channels do by
     * themselves (the same phone on WhatsApp and SMS, a Telegram contact share, a signed web
     * chat identity token).
     */
    link: z.enum(['api', 'auto']).default('api'),
    /** The journeys these customers take (default: every journey their identities allow). */
    journeys: z.array(z.string()).optional(),
  })
  .strict();

const stepSchema = z
  .object({
    channel,
    /** Think time before this step, in scenario time (see `timeScale`). */
    after: durationRange.prefault(0),
    /** What the customer sends; one is drawn per message. */
    content: oneOrMany(z.enum(customerContentKinds)).default(['text']),
    /** Messages sent in a row on this step. */
    messages: z.number().int().positive().max(20).default(1),
  })
  .strict();

const journeySchema = z
  .object({
    name: z.string().min(1),
    weight: z.number().positive().default(1),
    steps: z.array(stepSchema).min(1),
  })
  .strict();

const fallbackRuleSchema = z
  .object({
    channel,
    when: z.enum(['failed', 'undelivered', 'unread']),
    afterMs: z.number().int().positive().optional(),
  })
  .strict();

const appSchema = z
  .object({
    /** How the app hears of new messages: the SSE stream, the WebSocket stream, or a signed webhook. */
    transport: z.enum(['sse', 'websocket', 'webhook']).default('sse'),
    /** How long the app takes to answer (real time). */
    replyAfter: durationRange.prefault('20ms..80ms'),
    replyContent: oneOrMany(z.enum(replyContentKinds)).default(['text']),
    /** The share of customer messages the app answers. */
    replyProbability: z.number().min(0).max(1).default(1),
    /** Resolve the conversation after this many replies (a later message reopens it). */
    resolveAfterTurns: z.number().int().positive().optional(),
    /** Fallback rules sent with every reply. */
    fallback: z.array(fallbackRuleSchema).max(5).optional(),
    /**
     * `auto` (default): let the gateway route each reply to where the customer wrote last.
     * A channel name forces every reply onto that channel — a deliberately broken app.
     */
    replyChannel: z.union([z.literal('auto'), channel]).default('auto'),
    /**
     * Two apps behind the gateway's switchboard instead of one: a bot in control of new
     * conversations answers the first `botTurns` customer messages, then passes control to a
     * human desk with what it learned; for a `silentShare` of customers it never answers, so
     * its `responseTimeout` passes control to the desk.
     */
    switchboard: z
      .object({
        botTurns: z.number().int().min(0).default(1),
        silentShare: z.number().min(0).max(1).default(0.2),
        responseTimeout: z
          .string()
          .regex(/^\d+(ms|s|m)$/)
          .default('2s'),
      })
      .strict()
      .optional(),
    /**
     * Notifications: each customer, once seen, gets preferences (a time zone, quiet hours, an
     * opted-out category for some) and notifications (more than the cap for some, critical
     * ones in quiet hours); their next message, on another channel, is the reply.
     */
    notifications: z
      .object({
        frequencyCap: z.number().int().min(1).default(2),
        fallbackAfter: z
          .string()
          .regex(/^\d+(ms|s)$/)
          .default('2s'),
      })
      .strict()
      .optional(),
  })
  .strict();

const loadSchema = z
  .object({
    /** New journeys started per second at full rate. */
    arrivalRate: rate,
    /** Linear ramp from zero to the full rate. */
    rampUp: duration.prefault(0),
    /** How long new journeys keep starting (real time). */
    duration,
    /** At most this many journeys in flight at once. */
    concurrency: z.number().int().positive().default(10_000),
    /** At most this many journeys in all (default: no limit but the duration). */
    journeys: z.number().int().positive().optional(),
  })
  .strict();

const providerErrorKinds = ['5xx', '429', 'timeout'] as const;
export type ProviderErrorKind = (typeof providerErrorKinds)[number];

/**
 * When the gateway is killed, in real time from the start of the traffic:
 *
 * - `{ at: 5s }`: once, 5 s in.
 * - `{ every: 10s, times: 6 }`: 6 kills, at 10, 20, 30, 40, 50 and 60 s (`at` defaults to `every`).
 * - `{ at: 3s, every: 10s, times: 3 }`: at 3, 13 and 23 s.
 * - `{ every: 10s }`: every 10 s for as long as the traffic is being sent.
 *
 * Restarts never overlap: a kill never comes before the previous restart answers again, nor
 * sooner than `minimumUptime` after that. A delayed kill does not move the later ones, unless
 * they must wait too. Every kill of a fixed count (`at` alone, or `times`) happens, if need
 * be after the last message was sent; an open-ended `every` stops with the traffic.
 */
const gatewayRestartSchema = z
  .object({
    /** The first kill (default: `every`). */
    at: duration.optional(),
    /** The time from one kill to the next. */
    every: duration.optional(),
    /** Kills in all (default: 1 without `every`; with `every`, as long as the traffic runs). */
    times: z.number().int().positive().optional(),
    /**
     * The least time the gateway runs between answering again and the next kill (default 0:
     * the next kill may come as soon as it answers). Providers that give up soon (Twilio tries
     * for 15 s) need the gateway up now and then, however slowly it restarts.
     */
    minimumUptime: duration.optional(),
  })
  .strict()
  .superRefine((restart, context) => {
    if (restart.at === undefined && restart.every === undefined)
      context.addIssue({
        code: 'custom',
        message: 'give `at` (one kill) or `every` (repeated kills), or both',
      });
    if (restart.every !== undefined && restart.every <= 0)
      context.addIssue({
        code: 'custom',
        path: ['every'],
        message: 'the time between kills must be longer than 0',
      });
    if (restart.times !== undefined && restart.times > 1 && restart.every === undefined)
      context.addIssue({
        code: 'custom',
        path: ['times'],
        message: `${restart.times} kills need \`every\`, the time from one to the next`,
      });
    if (restart.minimumUptime !== undefined && restart.every === undefined)
      context.addIssue({
        code: 'custom',
        path: ['minimumUptime'],
        message: 'the uptime between kills needs `every` (with `at` alone there is one kill)',
      });
  })
  .transform(
    (restart): GatewayRestartFault => ({
      at: restart.at ?? restart.every ?? 0,
      every: restart.every,
      times: restart.every === undefined ? 1 : restart.times,
      minimumUptime: restart.minimumUptime ?? 0,
    }),
  );

/** A `gatewayRestart` fault as read: `times` is undefined when the kills go on with the traffic. */
export interface GatewayRestartFault {
  at: number;
  every: number | undefined;
  times: number | undefined;
  minimumUptime: number;
}

const faultsSchema = z
  .object({
    /** The providers answer the gateway's sends with errors at this rate. */
    providerErrors: z
      .object({
        rate: fraction,
        kinds: z
          .array(
            z.preprocess(
              (value) => (typeof value === 'number' ? String(value) : value),
              z.enum(providerErrorKinds),
            ),
          )
          .min(1)
          .default(['5xx', '429']),
        channels: z.array(channel).optional(),
        /** How long a `timeout` holds the call before the connection drops. */
        timeoutAfter: duration.prefault('1s'),
      })
      .strict()
      .optional(),
    /** The providers send this share of webhooks `times` times (they do: delivery is at least once). */
    webhookRedelivery: z
      .object({ rate: fraction, times: z.number().int().min(2).max(10).default(2) })
      .strict()
      .optional(),
    /** Status callbacks of this share of sends arrive out of order (delivered before sent). */
    outOfOrderStatus: z.object({ rate: fraction }).strict().optional(),
    /** WhatsApp refuses this share of replies as outside the 24-hour window (131047). */
    whatsappWindowClosed: z.object({ rate: fraction }).strict().optional(),
    /**
     * Kill the gateway and start it again (SIGKILL for a spawned gateway), in real time from
     * the start of the traffic: the first kill at `at`, then one every `every`, `times` kills
     * in all. See `gatewayRestartSchema`.
     */
    gatewayRestart: gatewayRestartSchema.optional(),
  })
  .strict();

const providersSchema = z
  .object({
    /** When status callbacks follow a send (`sent`, then `delivered`, then maybe `read`). */
    statusDelay: durationRange.prefault('10ms..60ms'),
    /** The share of delivered messages also reported read. */
    readRate: fraction.prefault(0.5),
    /** Requests per second each provider accepts from the gateway before answering 429. */
    rateLimitPerSecond: z.number().positive().default(10_000),
    /** Multiplies the providers' webhook retry delays (1 = the providers' own pattern). */
    redeliveryScale: z.number().positive().default(1),
  })
  .strict();

const sloKey =
  /^(continuity|lost|duplicated|misrouted|throughput|errors|(p50|p95|p99|max)\.(provider_ack|inbound_to_app|app_to_provider|round_trip)(\.(whatsapp|sms|email|telegram|webchat))?)$/;

export type Slo =
  | { key: string; kind: 'continuity' | 'throughput'; atLeast: number }
  | { key: string; kind: 'lost' | 'duplicated' | 'misrouted' | 'errors'; atMost: number }
  | {
      key: string;
      kind: 'latency';
      percentile: 'p50' | 'p95' | 'p99' | 'max';
      hop: Hop;
      channel: SimulatedChannel | undefined;
      atMostMs: number;
    };

const slosSchema = z
  .record(z.string(), z.union([z.string(), z.number()]))
  .default({ continuity: '100%', lost: 0, duplicated: 0 })
  .transform((record, context): Slo[] => {
    const slos: Slo[] = [];
    for (const [key, value] of Object.entries(record)) {
      if (!sloKey.test(key)) {
        context.addIssue({
          code: 'custom',
          path: [key],
          message: `unknown SLO "${key}": use continuity, throughput, lost, duplicated, misrouted, errors, or <p50|p95|p99|max>.<hop>[.<channel>]`,
        });
        continue;
      }
      try {
        if (key === 'continuity' || key === 'throughput') {
          slos.push({ key, kind: key, atLeast: parsePercent(value) });
        } else if (
          key === 'lost' ||
          key === 'duplicated' ||
          key === 'misrouted' ||
          key === 'errors'
        ) {
          const atMost = Number(value);
          if (!Number.isInteger(atMost) || atMost < 0) throw new Error(`"${value}" is not a count`);
          slos.push({ key, kind: key, atMost });
        } else {
          const [percentile, hop, channelName] = key.split('.') as [
            'p50' | 'p95' | 'p99' | 'max',
            Hop,
            SimulatedChannel | undefined,
          ];
          slos.push({
            key,
            kind: 'latency',
            percentile,
            hop,
            channel: channelName,
            atMostMs: parseDuration(value),
          });
        }
      } catch (error) {
        context.addIssue({ code: 'custom', path: [key], message: (error as Error).message });
      }
    }
    return slos;
  });

export const scenarioSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'a scenario name is lower-case words joined by -'),
    description: z.string().default(''),
    seed: z.number().int().nonnegative().default(1),
    /**
     * Scenario time runs this many times faster than real time: with 3600, a think time of
     * `2h` passes in 2 s. Latencies are always measured in real time.
     */
    timeScale: z.number().positive().default(1),
    personas: z.array(personaGroupSchema).min(1),
    journeys: z.array(journeySchema).min(1),
    app: appSchema.default(appSchema.parse({})),
    load: loadSchema,
    faults: faultsSchema.default({}),
    providers: providersSchema.default(providersSchema.parse({})),
    /**
     * The gateway's continuity window, in scenario time. The simulator configures the
     * gateway it starts with this window divided by `timeScale`, so a journey that pauses
     * longer than the window is expected to continue in a new, linked conversation.
     */
    continuityWindow: duration.prefault('24h'),
    /** How long to wait, after the last message, for the replies and events still in flight. */
    drainTimeout: duration.prefault('20s'),
    slos: slosSchema,
  })
  .strict()
  .superRefine((scenario, context) => {
    const journeyNames = new Set(scenario.journeys.map((journey) => journey.name));
    scenario.personas.forEach((group, index) => {
      for (const name of group.journeys ?? []) {
        if (!journeyNames.has(name))
          context.addIssue({
            code: 'custom',
            path: ['personas', index, 'journeys'],
            message: `no journey named "${name}"`,
          });
      }
      if (
        group.identities.includes('webchat') &&
        !group.identities.some(
          (identity) => identity === 'email' || identity === 'sms' || identity === 'whatsapp',
        )
      )
        context.addIssue({
          code: 'custom',
          path: ['personas', index, 'identities'],
          message:
            'web chat customers sign in with an email or a phone (the identity token names one)',
        });
      if (eligibleJourneys(scenario, group).length === 0)
        context.addIssue({
          code: 'custom',
          path: ['personas', index],
          message: `no journey uses only the channels ${group.identities.join(', ')}`,
        });
    });
    scenario.journeys.forEach((journey, journeyIndex) => {
      journey.steps.forEach((step, stepIndex) => {
        for (const kind of step.content) {
          if (!contentKindsByChannel[step.channel].includes(kind))
            context.addIssue({
              code: 'custom',
              path: ['journeys', journeyIndex, 'steps', stepIndex, 'content'],
              message: `a customer cannot send ${kind} on ${step.channel} (${contentKindsByChannel[step.channel].join(', ')})`,
            });
        }
      });
    });
  });

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;
export type PersonaGroup = Scenario['personas'][number];
export type Journey = Scenario['journeys'][number];
export type JourneyStep = Journey['steps'][number];
export type AppBehaviour = Scenario['app'];
export type Faults = Scenario['faults'];

/** The journeys a persona group can take: named ones, else every journey its identities cover. */
export function eligibleJourneys(
  scenario: Pick<Scenario, 'journeys'>,
  group: Pick<PersonaGroup, 'identities' | 'journeys'>,
): Journey[] {
  const reachable = new Set(group.identities);
  return scenario.journeys.filter(
    (journey) =>
      (group.journeys ? group.journeys.includes(journey.name) : true) &&
      journey.steps.every((step) => reachable.has(step.channel)),
  );
}

/** Every channel a scenario's traffic uses. */
export function scenarioChannels(scenario: Pick<Scenario, 'journeys' | 'app'>): SimulatedChannel[] {
  const used = new Set<SimulatedChannel>();
  for (const journey of scenario.journeys) for (const step of journey.steps) used.add(step.channel);
  for (const rule of scenario.app.fallback ?? []) used.add(rule.channel);
  if (scenario.app.replyChannel !== 'auto') used.add(scenario.app.replyChannel);
  return simulatedChannels.filter((name) => used.has(name));
}
