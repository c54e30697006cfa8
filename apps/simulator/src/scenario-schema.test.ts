import { describe, expect, it } from 'vitest';
import {
  bundledScenarioNames,
  loadScenario,
  parseScenario,
  ScenarioError,
} from './load-scenario.js';
import { scenarioChannels } from './scenario-schema.js';

describe('scenarios', () => {
  it('ships smoke, omnichannel, peak and chaos, all valid', () => {
    expect(bundledScenarioNames()).toEqual(['chaos', 'omnichannel', 'peak', 'smoke']);
    for (const name of bundledScenarioNames()) {
      const { scenario } = loadScenario(name);
      expect(scenario.name).toBe(name);
      expect(scenario.slos.length).toBeGreaterThan(0);
    }
    expect(scenarioChannels(loadScenario('smoke').scenario)).toEqual([
      'whatsapp',
      'sms',
      'email',
      'telegram',
      'webchat',
    ]);
  });

  it('names every invalid field by its path', () => {
    const message = (data: unknown) => {
      try {
        parseScenario(data);
      } catch (error) {
        expect(error).toBeInstanceOf(ScenarioError);
        return (error as Error).message;
      }
      throw new Error('the scenario was accepted');
    };
    const shapes = message({
      name: 'broken',
      personas: [{ name: 'phone', count: 2, identities: ['sms'] }],
      journeys: [{ name: 'j', steps: [{ channel: 'sms' }] }],
      load: { arrivalRate: 'fast', duration: '10s' },
      slos: { 'p99.nowhere': '1s' },
    });
    expect(shapes).toContain('load.arrivalRate');
    expect(shapes).toContain('slos.p99.nowhere');
    const rules = message({
      name: 'broken',
      personas: [{ name: 'web', count: 2, identities: ['webchat'] }],
      journeys: [{ name: 'j', steps: [{ channel: 'webchat', content: 'image' }] }],
      load: { arrivalRate: 1, duration: '10s' },
    });
    expect(rules).toContain('journeys.0.steps.0.content: a customer cannot send image on webchat');
    expect(rules).toContain(
      'personas.0.identities: web chat customers sign in with an email or a phone',
    );
  });

  it('refuses a persona group no journey fits', () => {
    expect(() =>
      parseScenario({
        name: 'lonely',
        personas: [{ name: 'sms-only', count: 1, identities: ['sms'] }],
        journeys: [{ name: 'email', steps: [{ channel: 'email' }] }],
        load: { arrivalRate: 1, duration: '1s' },
      }),
    ).toThrow(/personas.0: no journey uses only the channels sms/);
  });

  it('reads SLOs into typed checks', () => {
    const scenario = parseScenario({
      name: 'slos',
      personas: [{ name: 'p', count: 1, identities: ['sms'] }],
      journeys: [{ name: 'j', steps: [{ channel: 'sms' }] }],
      load: { arrivalRate: 1, duration: '1s' },
      slos: { continuity: '99%', 'p95.round_trip.sms': '2s', lost: 0 },
    });
    expect(scenario.slos).toEqual([
      { key: 'continuity', kind: 'continuity', atLeast: 0.99 },
      {
        key: 'p95.round_trip.sms',
        kind: 'latency',
        percentile: 'p95',
        hop: 'round_trip',
        channel: 'sms',
        atMostMs: 2_000,
      },
      { key: 'lost', kind: 'lost', atMost: 0 },
    ]);
  });
});
