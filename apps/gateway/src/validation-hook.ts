import type { OpenAPIHonoOptions } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { errorBody } from './http-errors.js';

/** Invalid requests answer 400 `validation_failed`, naming each path (the app and its sub-apps). */
export const validationHook: NonNullable<OpenAPIHonoOptions<Env>['defaultHook']> = (
  result,
  context,
) => {
  if (!result.success) {
    const issues = result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message: issue.message,
    }));
    const first = issues[0];
    return context.json(
      errorBody(
        'validation_failed',
        `invalid request: ${first ? `${first.path || '(root)'}: ${first.message}` : 'invalid'}`,
        { issues },
      ),
      400,
    );
  }
  return undefined;
};
