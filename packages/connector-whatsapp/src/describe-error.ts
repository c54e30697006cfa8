/** The message of a thrown value, for logs and status details. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
