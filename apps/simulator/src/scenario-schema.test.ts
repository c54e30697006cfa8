import { describe, expect, it } from 'vitest';
import {
  bundledScenarioNames,
  loadScenario,
  parseScenario,
  ScenarioError,
} from './load-scenario.js';
import { scenarioChannels } from './scenario-schema.js';

describe('scenarios', () => {
  it('ships smoke, omnichannel, peak, resolve-and-return, handoff, notifications and the chaos scenarios, all valid', () => {
    expect(bundledScenarioNames()).toEqual([
      'chaos',
      'chaos-kill-every-10s',
      'handoff',
      'notifications',
      'omnichannel',
      'peak',
      'resolve-and-return',
      'smoke',
    ]);
    for (const name of bundledScenarioNames()) {
      const { scenario } = loadScenario(name);
      expect(scenario.name).toBe(name);
      expect(scenario.slos.length).toBeGreaterThan(0);
    }
    expect(loadScenario('resolve-and-return').scenario.app.resolveAfterTurns).toBe(1);
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

  it('reads a gateway restart as one kill or as kills at a fixed interval', () => {
    const restartOf = (gatewayRestart: unknown) =>
      parseScenario({
        name: 'restarts',
        personas: [{ name: 'p', count: 1, identities: ['sms'] }],
        journeys: [{ name: 'j', steps: [{ channel: 'sms' }] }],
        load: { arrivalRate: 1, duration: '1s' },
        faults: { gatewayRestart },
      }).faults.gatewayRestart;
    expect(restartOf({ at: '5s' })).toEqual({
      at: 5_000,
      every: undefined,
      times: 1,
      minimumUptime: 0,
    });
    expect(restartOf({ every: '10s', times: 6, minimumUptime: '6s' })).toEqual({
      at: 10_000,
      every: 10_000,
      times: 6,
      minimumUptime: 6_000,
    });
    expect(restartOf({ at: '3s', every: '10s' })).toEqual({
      at: 3_000,
      every: 10_000,
      times: undefined,
      minimumUptime: 0,
    });
    expect(() => restartOf({})).toThrow(
      /faults.gatewayRestart: give `at` \(one kill\) or `every` \(repeated kills\)/,
    );
    expect(() => restartOf({ at: '5s', times: 3 })).toThrow(
      /faults.gatewayRestart.times: 3 kills need `every`/,
    );
    expect(() => restartOf({ every: 0 })).toThrow(
      /faults.gatewayRestart.every: the time between kills must be longer than 0/,
    );
    expect(() => restartOf({ at: '5s', minimumUptime: '5s' })).toThrow(
      /faults.gatewayRestart.minimumUptime: the uptime between kills needs `every`/,
    );
    expect(() => restartOf({ at: '5s', until: '60s' })).toThrow(/faults.gatewayRestart/);
  });
});
