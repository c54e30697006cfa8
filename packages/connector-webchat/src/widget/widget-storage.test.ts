import { describe, expect, it } from 'vitest';
import { signWebchatIdentityToken } from '../webchat-identity-token.js';
import {
  identityOfToken,
  type KeyValueStorage,
  shouldResume,
  WidgetStorage,
} from './widget-storage.js';

function memoryStorage(): KeyValueStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (key) => data.get(key) ?? null,
    setItem: (key, value) => {
      data.set(key, value);
    },
    removeItem: (key) => {
      data.delete(key);
    },
  };
}

describe('WidgetStorage', () => {
  it('keeps the visitor and the unsent messages across page loads', () => {
    const storage = memoryStorage();
    const first = new WidgetStorage(storage, 'k');
    first.update({
      visitorId: 'wv_1',
      resumeToken: 't',
      outbox: [{ localId: 'a1', content: { type: 'text', text: 'hi' }, createdAt: 'now' }],
    });
    expect(new WidgetStorage(storage, 'k').state).toEqual(first.state);
  });

  it('starts empty from unreadable storage', () => {
    const storage = memoryStorage();
    storage.setItem('k', '{not json');
    expect(new WidgetStorage(storage, 'k').state).toEqual({ outbox: [] });
    storage.setItem('k', JSON.stringify({ visitorId: 3, outbox: [{ bad: true }] }));
    expect(new WidgetStorage(storage, 'k').state).toEqual({ outbox: [] });
  });
});

describe('identityOfToken and shouldResume', () => {
  const token = (email: string) =>
    signWebchatIdentityToken({ email, exp: 2_000_000_000 }, 'secret');

  it('reads who the token names, without verifying it', () => {
    expect(identityOfToken(token('Ada@Example.com'))).toBe('ada@example.com|');
    expect(identityOfToken(undefined)).toBeUndefined();
    expect(identityOfToken('garbage')).toBeUndefined();
  });

  it('resumes an anonymous visitor who logs in, never a visitor of another customer', () => {
    const anonymous = { visitorId: 'wv_1', resumeToken: 't', outbox: [] };
    const ada = { ...anonymous, identity: 'ada@example.com|' };
    expect(shouldResume(anonymous, undefined)).toBe(true);
    expect(shouldResume(anonymous, 'ada@example.com|')).toBe(true);
    expect(shouldResume(ada, 'ada@example.com|')).toBe(true);
    expect(shouldResume(ada, 'grace@example.com|')).toBe(false);
    expect(shouldResume(ada, undefined)).toBe(false);
    expect(shouldResume({ outbox: [] }, undefined)).toBe(false);
  });
});
