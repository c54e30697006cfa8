import type { Telegram } from 'telegraf';

type CallApiOptions = NonNullable<Parameters<Telegram['callApi']>[2]>;

/** telegraf types `signal` as its AbortController polyfill's; its fetch takes the built-in one. */
export function withAbortSignal(signal: AbortSignal): CallApiOptions {
  return { signal } as unknown as CallApiOptions;
}
