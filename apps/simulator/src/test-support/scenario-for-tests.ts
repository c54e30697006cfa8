import { parseScenario } from '../load-scenario.js';
import { planTraffic, type TrafficPlan } from '../plan-traffic.js';
import type { ScenarioInput } from '../scenario-schema.js';

/** A small scenario, planned: quick traffic over the HTTP channels, answered at once. */
export function planForTests(overrides: Partial<ScenarioInput> = {}): TrafficPlan {
  const source: ScenarioInput = {
    name: 'test',
    seed: 11,
    personas: [
      { name: 'phone', count: 8, identities: ['whatsapp', 'sms'], link: 'auto' },
      { name: 'telegram', count: 6, identities: ['telegram'], link: 'api' },
    ],
    journeys: [
      {
        name: 'whatsapp-then-sms',
        steps: [{ channel: 'whatsapp' }, { channel: 'sms', after: '300ms..600ms' }],
      },
      { name: 'sms-only', steps: [{ channel: 'sms' }, { channel: 'sms', after: '300ms..600ms' }] },
      {
        name: 'telegram-chat',
        steps: [{ channel: 'telegram' }, { channel: 'telegram', after: '1s..1.2s' }],
      },
    ],
    app: { replyAfter: '5ms..20ms' },
    load: { arrivalRate: '8/s', duration: '2s', journeys: 14 },
    providers: { statusDelay: '5ms..20ms' },
    drainTimeout: '10s',
    slos: { continuity: '100%', lost: 0, duplicated: 0, misrouted: 0 },
    ...overrides,
  };
  return planTraffic(parseScenario(source, 'test scenario'), source);
}
