import type { ThreadlineEvent } from '@threadline/schema';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { analyticsMetrics } from './analytics-metrics.js';

/** Prometheus metrics, one registry per gateway so tests and several apps never collide. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'threadline_' });
  renameTotalGauges(registry);
  const latencyBuckets = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
  ];
  return {
    registry,
    ingestRequests: new Counter({
      name: 'threadline_ingress_requests_total',
      help: 'Provider webhook requests by channel and outcome',
      labelNames: ['channel', 'outcome'],
      registers: [registry],
    }),
    controlPasses: new Counter({
      name: 'threadline_control_passes_total',
      help: 'Switchboard: control of a conversation passed, by reason (api, timeout, release, new_conversation)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    inboundMessages: new Counter({
      name: 'threadline_inbound_messages_total',
      help: 'Inbound messages stored (not counting redeliveries)',
      labelNames: ['channel'],
      registers: [registry],
    }),
    ingestDuration: new Histogram({
      name: 'threadline_ingest_duration_seconds',
      help: 'Provider request to durable commit (signature, normalize, persist)',
      labelNames: ['channel'],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    sends: new Counter({
      name: 'threadline_outbound_sends_total',
      help: 'Provider send calls by channel and outcome',
      labelNames: ['channel', 'outcome'],
      registers: [registry],
    }),
    sendDuration: new Histogram({
      name: 'threadline_send_duration_seconds',
      help: 'Provider send call duration',
      labelNames: ['channel'],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    openStreams: new Gauge({
      name: 'threadline_open_event_streams',
      help: 'Open SSE and WebSocket event streams',
      registers: [registry],
    }),
    webhookDeliveries: new Counter({
      name: 'threadline_webhook_deliveries_total',
      help: 'Webhook delivery requests by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    webhookLag: new Gauge({
      name: 'threadline_webhook_delivery_lag_seconds',
      help: 'Age of the oldest event a subscription has not delivered yet (0: caught up with the log)',
      labelNames: ['subscription'],
      registers: [registry],
    }),
    webhookInFlight: new Gauge({
      name: 'threadline_webhook_deliveries_in_flight',
      help: 'Webhook requests sent and not yet recorded, per subscription',
      labelNames: ['subscription'],
      registers: [registry],
    }),
    webhookRetries: new Counter({
      name: 'threadline_webhook_retries_total',
      help: 'Failed webhook deliveries scheduled to be tried again, per subscription',
      labelNames: ['subscription'],
      registers: [registry],
    }),
    webhookDeadLetters: new Counter({
      name: 'threadline_webhook_dead_letters_total',
      help: 'Events a subscription gave up on, per subscription',
      labelNames: ['subscription'],
      registers: [registry],
    }),
    ingressQuarantined: new Counter({
      name: 'threadline_ingress_quarantined_total',
      help: 'Provider requests acknowledged and kept in quarantine because storing them broke a store rule (retrying cannot cure it), by channel and rule',
      labelNames: ['channel', 'constraint'],
      registers: [registry],
    }),
    ...analyticsMetrics(registry),
    notifications: new Counter({
      name: 'threadline_notifications_total',
      help: 'Notification events by status (scheduled, suppressed, sent, fallback, delivered, failed, replied) and reason (opted_out, quiet_hours, frequency_cap, expired, no_reachable_channel, in_conversation, none)',
      labelNames: ['status', 'reason'] as const,
      registers: [registry],
    }),
  };
}

/** Counts a `notification.*` event: its verb is the status, the notification's reason the reason. */
export function countNotification(metrics: Metrics, event: ThreadlineEvent): void {
  if (!event.type.startsWith('notification.')) return;
  const { notification } = event.data as { notification: { reason: string | null } };
  metrics.notifications.inc({
    status: event.type.slice('notification.'.length),
    reason: notification.reason ?? 'none',
  });
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * prom-client's default metrics include three gauges ending in `_total`
 * (`nodejs_active_{handles,requests,resources}_total`), a suffix Prometheus reserves for
 * counters (`promtool check metrics` flags them). They are served as `..._all_types`: the same
 * value, the sum over the per-type gauge beside them.
 */
function renameTotalGauges(registry: Registry): void {
  for (const metric of registry.getMetricsAsArray()) {
    const name = metric.name;
    if (!(metric instanceof Gauge) || !name.endsWith('_total')) continue;
    registry.removeSingleMetric(name);
    new Gauge({
      name: `${name.slice(0, -'_total'.length)}_all_types`,
      help: metric.help,
      registers: [registry],
      async collect() {
        const { values } = await metric.get();
        this.set(values[0]?.value ?? 0);
      },
    });
  }
}
