import { createServer } from 'node:http';

/**
 * The app end of a webhook subscription, in a process of its own so its work does not share
 * the bench's event loop. It answers `POST /hooks` (one event, or a batch's JSON array) after
 * `delayMs`, or 500 for the messages of `failAddress` until `failUntil`, and checks each
 * conversation's order: an event that arrives for the first time with a cursor below one
 * already seen in its conversation is an order violation. `GET /__stats` reads the counts,
 * `POST /__control` resets and configures.
 */
interface Control {
  delayMs: number;
  failAddress: string | null;
  failUntil: number;
}

interface WebhookEvent {
  id: string;
  cursor: number;
  type: string;
  time: string;
  data: { message?: { conversationId: string; from: { address: string } } };
}

let control: Control = { delayMs: 0, failAddress: null, failUntil: 0 };
let requests = 0;
let failedRequests = 0;
const seen = new Map<string, number>();
const lastCursor = new Map<string, number>();
let orderViolations = 0;
let repeats = 0;
/** Log → app lag (ms) of each event's first arrival, apart from the failing customer's. */
let lags: number[] = [];
let failingLags: number[] = [];
let failingEvents = 0;
let failingLastArrival = 0;
let lastArrival = 0;

function reset() {
  requests = 0;
  failedRequests = 0;
  seen.clear();
  lastCursor.clear();
  orderViolations = 0;
  repeats = 0;
  lags = [];
  failingLags = [];
  failingEvents = 0;
  failingLastArrival = 0;
  lastArrival = 0;
}

function record(events: WebhookEvent[], arrived: number) {
  for (const event of events) {
    const message = event.data.message;
    if (!message) continue;
    const count = seen.get(event.id) ?? 0;
    seen.set(event.id, count + 1);
    if (count > 0) {
      repeats += 1;
      continue;
    }
    const previous = lastCursor.get(message.conversationId) ?? 0;
    if (event.cursor < previous) orderViolations += 1;
    else lastCursor.set(message.conversationId, event.cursor);
    const lag = arrived - Date.parse(event.time);
    lastArrival = arrived;
    if (message.from.address === control.failAddress) {
      failingEvents += 1;
      failingLags.push(lag);
      failingLastArrival = arrived;
    } else lags.push(lag);
  }
}

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('error', () => {});
  response.on('error', () => {});
  request.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    if (request.url === '/__stats') {
      const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          requests,
          failedRequests,
          unique: seen.size,
          repeats,
          orderViolations,
          lags: sorted(lags),
          failingLags: sorted(failingLags),
          failingEvents,
          failingLastArrival,
          lastArrival,
          ids: request.headers['x-with-ids'] ? [...seen.keys()] : undefined,
        }),
      );
      return;
    }
    if (request.url === '/__control') {
      control = { ...control, ...(JSON.parse(body) as Partial<Control>) };
      reset();
      response.writeHead(204).end();
      return;
    }
    requests += 1;
    const parsed = JSON.parse(body) as WebhookEvent | WebhookEvent[];
    const events = Array.isArray(parsed) ? parsed : [parsed];
    const arrived = Date.now();
    const failing =
      control.failAddress !== null &&
      arrived < control.failUntil &&
      events.some((event) => event.data.message?.from.address === control.failAddress);
    if (failing) {
      failedRequests += 1;
      response.writeHead(500).end();
      return;
    }
    record(events, arrived);
    if (control.delayMs > 0) setTimeout(() => response.writeHead(204).end(), control.delayMs);
    else response.writeHead(204).end();
  });
});
server.keepAliveTimeout = 10_000;
server.listen(Number(process.env.PORT ?? 8792), '127.0.0.1', () => process.send?.('ready'));
