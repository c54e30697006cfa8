/** A contract check that did not hold; any other error is the connector's own. */
export class ConformanceFailure extends Error {
  override name = 'ConformanceFailure';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ConformanceFailure(message);
}

/** What the promise rejected with, or undefined when it resolved. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return undefined;
}
