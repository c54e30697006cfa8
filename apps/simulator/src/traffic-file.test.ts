import { describe, expect, it } from 'vitest';
import { loadScenario } from './load-scenario.js';
import { planTraffic, speedUp } from './plan-traffic.js';
import { planForTests } from './test-support/scenario-for-tests.js';
import { parseTraffic, serializeTraffic, TrafficFileError } from './traffic-file.js';

describe('traffic plans and files', () => {
  it('plans the same traffic, byte for byte, from the same scenario and seed', () => {
    const { scenario, source } = loadScenario('smoke');
    const first = serializeTraffic(planTraffic(scenario, source));
    const second = serializeTraffic(planTraffic(scenario, source));
    expect(second).toBe(first);
    const reseeded = loadScenario('smoke');
    const other = serializeTraffic(
      planTraffic({ ...reseeded.scenario, seed: 43 }, { ...(reseeded.source as object), seed: 43 }),
    );
    expect(other).not.toBe(first);
  });

  it('reads a file back into the plan it was written from', () => {
    const plan = planForTests();
    const text = serializeTraffic(plan);
    const read = parseTraffic(text);
    expect(read.personas).toEqual(plan.personas);
    expect(read.journeys).toEqual(plan.journeys);
    expect(read.messages).toEqual(plan.messages);
    expect(read.scenario).toEqual(plan.scenario);
    expect(serializeTraffic(read)).toBe(text);
  });

  it('puts messages in sending order, each naming its journey, and tags their text', () => {
    const plan = planForTests();
    const times = plan.messages.map((message) => message.at);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    for (const message of plan.messages) {
      expect(message.id.startsWith(`${message.journeyId}.`)).toBe(true);
      expect(JSON.stringify(message.content)).toContain(`ref ${message.id}`);
    }
    const persona = plan.personas[0]!;
    expect(persona.identities.whatsapp).toMatch(/^\+1\d{10}$/);
    expect(persona.identities.sms).toBe(persona.identities.whatsapp);
  });

  it('plays faster with a speed factor', () => {
    const plan = planForTests();
    const faster = speedUp(plan, 4);
    expect(faster.messages.map((message) => message.at)).toEqual(
      plan.messages.map((message) => message.at / 4),
    );
  });

  it('refuses a file that is not a traffic file, or is cut short', () => {
    expect(() => parseTraffic('{"kind":"message"}\n')).toThrow(TrafficFileError);
    const text = serializeTraffic(planForTests());
    const cut = text.split('\n').slice(0, -3).join('\n');
    expect(() => parseTraffic(cut)).toThrow(/cut short/);
  });

  it('draws redeliveries only when the scenario asks for them', () => {
    expect(planForTests().messages.every((message) => message.deliveries === 1)).toBe(true);
    const redelivered = planForTests({ faults: { webhookRedelivery: { rate: '50%', times: 3 } } });
    const counts = new Set(redelivered.messages.map((message) => message.deliveries));
    expect(counts).toEqual(new Set([1, 3]));
  });
});
