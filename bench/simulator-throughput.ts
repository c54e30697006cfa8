/**
 * How much traffic one simulator process can drive, without a gateway in the way:
 * `npx tsx --conditions=@threadline/source bench/simulator-throughput.ts [--seconds 10]
 * [--customers 20000] [--rate 8000] [--think 2s..3s]`.
 *
 * Plans `--customers` customers sending `--rate` messages a second for `--seconds` over the
 * SMS, WhatsApp and Telegram fakes (signed Twilio forms, signed Meta webhooks, Telegram
 * updates), then plays the plan twice against a sink that acknowledges at once:
 *
 * 1. in-process: the sink is a function (the cost of the simulator alone: planning aside,
 *    scheduling, building and signing each webhook, the ledger);
 * 2. loopback HTTP: the sink is an HTTP server on 127.0.0.1 in a child process (adds the
 *    client side of HTTP, which a spawned or remote gateway needs; the sink has its own core
 *    only as far as the machine has one to spare).
 *
 * Reports messages a second achieved against asked, the most customers with a delivery in
 * flight at once, how far the schedule fell behind, and the process's memory.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  connectionSlots,
  createTelegramFake,
  createTwilioFake,
  createWhatsAppCloudFake,
  driveTraffic,
  type FakeContext,
  type GatewayLink,
  type PlannedMessage,
  type PlannedPersona,
  type ProviderFake,
  parseScenario,
  planTraffic,
  type SimulatedChannel,
  TrafficLedger,
  type TrafficPlan,
} from '@threadline/simulator';
import { table } from './bench-support.js';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

const seconds = option('seconds', 10);
const customers = option('customers', 20_000);
const rate = option('rate', 8_000);
const thinkIndex = process.argv.indexOf('--think');
/** The pause between a customer's two messages: longer pauses keep more customers active. */
const think = thinkIndex >= 0 ? process.argv[thinkIndex + 1]! : '2s..3s';

function plan(): { plan: TrafficPlan; planningMs: number } {
  const source = {
    name: 'simulator-throughput',
    seed: 5,
    personas: [
      {
        name: 'phone',
        count: Math.round(customers * 0.7),
        identities: ['whatsapp', 'sms'],
        link: 'auto',
      },
      {
        name: 'telegram',
        count: customers - Math.round(customers * 0.7),
        identities: ['telegram'],
        link: 'auto',
      },
    ],
    journeys: [
      {
        name: 'whatsapp-then-sms',
        steps: [{ channel: 'whatsapp' }, { channel: 'sms', after: think }],
      },
      {
        name: 'telegram',
        steps: [{ channel: 'telegram' }, { channel: 'telegram', after: think }],
      },
    ],
    // two messages a journey
    load: { arrivalRate: rate / 2, duration: `${seconds}s`, concurrency: customers },
    slos: {},
  };
  const started = performance.now();
  const planned = planTraffic(parseScenario(source), source);
  return { plan: planned, planningMs: performance.now() - started };
}

async function run(label: string, planned: TrafficPlan, link: GatewayLink) {
  const ledger = new TrafficLedger(planned);
  const context: FakeContext = {
    ledger,
    scenario: planned.scenario,
    gateway: () => link,
    mediaUrl: (fileName) => `https://media.example/${fileName}`,
  };
  const fakes = new Map<SimulatedChannel, ProviderFake>();
  const busy = new Set<string>();
  let mostBusy = 0;
  for (const fake of [
    createTwilioFake(context),
    createWhatsAppCloudFake(context),
    createTelegramFake(context),
  ]) {
    fake.gatewayEnvironment('http://127.0.0.1:1');
    const deliver = fake.deliver.bind(fake);
    fakes.set(fake.channel, {
      ...fake,
      async deliver(message: PlannedMessage, persona: PlannedPersona) {
        busy.add(persona.id);
        mostBusy = Math.max(mostBusy, busy.size);
        try {
          await deliver(message, persona);
        } finally {
          busy.delete(persona.id);
        }
      },
    });
  }
  let peakRss = process.memoryUsage().rss;
  const memory = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  const result = await driveTraffic({ plan: planned, ledger, fakes, maxInFlight: 10_000 });
  clearInterval(memory);
  const records = [...ledger.customer.values()];
  const acknowledged = records.filter((record) => record.acknowledged).length;
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const record of records) {
    first = Math.min(first, record.attempts[0]?.startedAt ?? first);
    last = Math.max(last, record.acknowledged?.endedAt ?? last);
  }
  const span = planned.messages.at(-1)!.at - planned.messages[0]!.at;
  return {
    sink: label,
    messages: planned.messages.length,
    acknowledged,
    'asked msg/s': Math.round((planned.messages.length / span) * 1000),
    'achieved msg/s': Math.round((acknowledged / (last - first)) * 1000),
    'customers in flight (max)': mostBusy,
    'schedule lag (max ms)': Math.round(result.maxLagMs),
    'rss (MB)': Math.round(peakRss / 1024 / 1024),
  };
}

const { plan: planned, planningMs } = plan();
const journeysInFlight = (() => {
  const lastAt = new Map<string, number>();
  for (const message of planned.messages) lastAt.set(message.journeyId, message.at);
  const ends = planned.journeys.map((journey) => ({
    start: journey.startAt,
    end: lastAt.get(journey.id) ?? journey.startAt,
  }));
  const points = ends.flatMap((entry) => [
    [entry.start, 1],
    [entry.end, -1],
  ]);
  points.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let current = 0;
  let most = 0;
  for (const [, change] of points) {
    current += change!;
    most = Math.max(most, current);
  }
  return most;
})();
process.stdout.write(
  `planned ${planned.messages.length} messages of ${planned.journeys.length} journeys by ${planned.personas.length} customers in ${Math.round(planningMs)} ms; up to ${journeysInFlight} journeys (customers) active at once\n\n`,
);

const inProcess = await run('in-process function', planned, {
  publicUrl: 'http://gateway.bench',
  fetch: async (_url, init) => {
    // read the body as a server would
    void String(init.body).length;
    return new Response('<Response></Response>', { status: 200 });
  },
  smtp: () => undefined,
  socketUrl: () => 'http://gateway.bench',
});

// the sink runs in its own process, so it does not take the simulator's event loop
const sink = spawn(
  process.execPath,
  [
    '-e',
    `const server = require('node:http').createServer((request, response) => {
       request.resume();
       request.on('end', () => response.writeHead(200, { 'content-type': 'text/xml' }).end('<Response></Response>'));
     });
     server.keepAliveTimeout = 60000;
     server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));`,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
process.on('exit', () => sink.kill());
const [portLine] = (await once(sink.stdout!, 'data')) as [Buffer];
const sinkUrl = `http://127.0.0.1:${portLine.toString().trim()}`;
const loopback = await run('loopback HTTP', planned, {
  publicUrl: sinkUrl,
  fetch: (url, init) => fetch(url, init),
  slot: connectionSlots(256),
  smtp: () => undefined,
  socketUrl: () => sinkUrl,
});
sink.kill();

process.stdout.write(`${table([inProcess, loopback])}\n`);
