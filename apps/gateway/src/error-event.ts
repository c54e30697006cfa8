/**
 * @hono/node-ws reports socket errors (a frame over the size limit, a protocol error) as a DOM
 * `ErrorEvent`, which Node 20 does not define: without it the error handler itself throws.
 */
export function ensureErrorEvent(): void {
  if (typeof (globalThis as { ErrorEvent?: unknown }).ErrorEvent !== 'undefined') return;
  class ErrorEvent extends Event {
    readonly error: unknown;
    readonly message: string;
    constructor(type: string, init: { error?: unknown; message?: string } = {}) {
      super(type);
      this.error = init.error;
      this.message = init.message ?? (init.error instanceof Error ? init.error.message : '');
    }
  }
  (globalThis as { ErrorEvent?: unknown }).ErrorEvent = ErrorEvent;
}
