import {
  createThreadlineClient,
  ThreadlineApiError,
  type ThreadlineClient,
} from '@threadline/client';

const storageKey = 'threadline.console.apiKey';

/** A client for the gateway that serves the console, signed in with `apiKey`. */
export function clientFor(apiKey: string): ThreadlineClient {
  return createThreadlineClient({
    baseUrl: window.location.origin,
    apiKey,
    retry: { maxRetries: 1 },
  });
}

/** The key this tab signed in with (kept for the tab only, in session storage). */
export function storedApiKey(): string | null {
  return window.sessionStorage.getItem(storageKey);
}

export function forgetApiKey(): void {
  window.sessionStorage.removeItem(storageKey);
}

/** What to tell an operator whose key did not work. */
export function signInProblem(error: unknown): string {
  if (ThreadlineApiError.is(error)) {
    if (error.status === 401)
      return 'That API key was not accepted. Check it against THREADLINE_API_KEYS or the keys made with POST /v1/api-keys.';
    if (error.status === 403)
      return 'That API key may not read conversations: it needs the "read" scope.';
    if (error.status === 429)
      return 'Too many attempts with this key: wait a moment and try again.';
    return `The gateway refused the key: ${error.message}`;
  }
  return 'The gateway could not be reached. Is it running?';
}

/** Checks the key with one small read, then keeps it for this tab. */
export async function signIn(apiKey: string): Promise<ThreadlineClient> {
  const client = clientFor(apiKey);
  await client.conversations.list({ limit: 1 });
  window.sessionStorage.setItem(storageKey, apiKey);
  return client;
}
