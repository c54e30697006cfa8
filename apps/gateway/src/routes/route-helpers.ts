import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { errorSchema } from '../api-schemas.js';
import type { GatewayRuntime } from '../gateway-runtime.js';

export type RouteRuntime = Omit<GatewayRuntime, 'start' | 'listen' | 'close'>;
export type App = OpenAPIHono;

export const bearer = [{ bearerAuth: [] }];

const errorContent = { 'application/json': { schema: errorSchema } };

/** The error answers every authenticated route documents. */
export const errorResponses = {
  400: { description: 'Invalid request; `details.issues` names each path', content: errorContent },
  401: { description: 'Missing or invalid API key', content: errorContent },
  403: { description: 'The key lacks the scope', content: errorContent },
  404: { description: 'Not found', content: errorContent },
} as const;

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const idParam = (name: string) =>
  z.object({
    id: z
      .string()
      .min(1)
      .meta({ param: { name: 'id', in: 'path' }, description: name }),
  });
