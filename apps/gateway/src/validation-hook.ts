import type { OpenAPIHonoOptions } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { errorBody } from './http-errors.js';

/** Invalid requests answer 400 `validation_failed`, naming each path. */
export const validationHook: NonNullable<OpenAPIHonoOptions<Env>['defaultHook']> = (
  result,
  context,
) => {
  if (!result.success) {
    // an unknown field is named by its own path (`colour`, `to.x`), one issue per field
    const issues = result.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({
            path: [...issue.path, key].map(String).join('.'),
            message: 'unknown field',
          }))
        : [{ path: issue.path.map(String).join('.'), message: issue.message }],
    );
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
