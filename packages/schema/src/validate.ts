import type { z } from 'zod';

/** One problem in invalid data: where (a dotted path such as `content.buttons.0.title`) and why. */
export interface ValidationIssue {
  path: string;
  message: string;
}

export class SchemaValidationError extends Error {
  override readonly name = 'SchemaValidationError';
  readonly issues: ValidationIssue[];
  constructor(what: string, issues: ValidationIssue[]) {
    const first = issues[0];
    super(
      first
        ? `invalid ${what}: ${first.path || '(root)'}: ${first.message}${issues.length > 1 ? ` (+${issues.length - 1} more)` : ''}`
        : `invalid ${what}`,
    );
    this.issues = issues;
  }
}

export function formatIssuePath(path: readonly PropertyKey[]): string {
  return path.map((segment) => String(segment)).join('.');
}

export function toValidationIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: formatIssuePath(issue.path),
    message: issue.message,
  }));
}

/** Parse `data` with `schema`, throwing a {@link SchemaValidationError} that names the path. */
export function parseWith<T extends z.ZodType>(
  schema: T,
  data: unknown,
  what: string,
): z.output<T> {
  const result = schema.safeParse(data);
  if (!result.success) throw new SchemaValidationError(what, toValidationIssues(result.error));
  return result.data;
}
