import { describe, expect, it } from 'vitest';
import { createCircuitBreaker } from './webhook-circuit.js';

const settings = { threshold: 3, baseMs: 1000, maxMs: 8000 };

describe('webhook circuit breaker', () => {
  it('stays closed while only one conversation fails: its own backoff slows it', () => {
    const circuit = createCircuitBreaker(settings);
    for (let attempt = 0; attempt < 10; attempt++) circuit.failed(0, 'conversation-a', false);
    expect(circuit.allows(0)).toBe(true);
  });

  it('opens after failures in a row on several conversations, then lets one probe through', () => {
    const circuit = createCircuitBreaker(settings);
    circuit.failed(0, 'a', false);
    circuit.failed(0, 'b', false);
    expect(circuit.allows(0)).toBe(true);
    circuit.failed(0, 'c', false);
    expect(circuit.allows(999)).toBe(false);
    expect(circuit.allows(1000)).toBe(true);
    expect(circuit.started()).toBe(true);
    expect(circuit.allows(1000)).toBe(false);
    // the probe fails: the pause doubles
    circuit.failed(1000, 'a', true);
    expect(circuit.allows(2999)).toBe(false);
    expect(circuit.allows(3000)).toBe(true);
    circuit.started();
    circuit.answered();
    expect(circuit.state).toBe('closed');
    expect(circuit.allows(3000)).toBe(true);
  });

  it('a success between failures starts the count again', () => {
    const circuit = createCircuitBreaker(settings);
    circuit.failed(0, 'a', false);
    circuit.failed(0, 'b', false);
    circuit.answered();
    circuit.failed(0, 'c', false);
    circuit.failed(0, 'd', false);
    expect(circuit.allows(0)).toBe(true);
  });

  it('opens at once for Retry-After, as long as it asks', () => {
    const circuit = createCircuitBreaker(settings);
    circuit.failed(0, 'a', false, 30_000);
    expect(circuit.allows(29_999)).toBe(false);
    expect(circuit.allows(30_000)).toBe(true);
  });

  it('caps the pause at maxMs', () => {
    const circuit = createCircuitBreaker(settings);
    let now = 0;
    for (let probe = 0; probe < 8; probe++) {
      circuit.failed(now, 'a', true);
      now = circuit.openUntil;
    }
    circuit.failed(now, 'a', true);
    expect(circuit.openUntil - now).toBe(8000);
  });
});
