import { loadConfig } from './config.js';
import { createApp } from './create-app.js';

/** `npm start`: the gateway with configuration from threadline.config.ts or the environment. */
const config = await loadConfig();
const app = createApp(config);
const { gateway } = app;
await gateway.start();
const { port } = await gateway.listen(config.port, process.env.HOST ?? '0.0.0.0');
const keys = config.apiKeys.length
  ? `${config.apiKeys.length} API key(s) from THREADLINE_API_KEYS`
  : 'no API keys: set THREADLINE_API_KEYS to use /v1';
gateway.log.info(
  { port, dataDirectory: config.dataDirectory, connectors: [...gateway.connectors.keys()] },
  `Threadline gateway on http://localhost:${port} — API reference at /docs; ${keys}`,
);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  gateway.log.info({ signal }, 'shutting down: finishing in-flight work');
  const force = setTimeout(() => process.exit(1), 15_000);
  force.unref();
  await gateway.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
