import type { Range } from './parse-quantities.js';
import { createRandom, type Random } from './random.js';
import {
  type CustomerContentKind,
  eligibleJourneys,
  type PersonaGroup,
  type Scenario,
  type SimulatedChannel,
} from './scenario-schema.js';

export const trafficFormat = 'threadline-traffic/1';

export interface PlannedPersona {
  id: string;
  name: string;
  group: string;
  link: 'api' | 'auto';
  /** Canonical addresses by channel; WhatsApp and SMS share one E.164 number. */
  identities: Partial<Record<SimulatedChannel, string>>;
}

export interface PlannedJourney {
  id: string;
  name: string;
  personaId: string;
  /** Real milliseconds after the run starts. */
  startAt: number;
  messageIds: string[];
  /** A pause longer than the continuity window: a new conversation, linked to the first, is right. */
  expectsLinkedConversations: boolean;
}

export type PlannedContent =
  | { kind: 'text'; text: string }
  | { kind: 'image'; caption: string; fileName: string }
  | { kind: 'location'; latitude: number; longitude: number; name: string }
  | { kind: 'contact'; name: string; phone: string };

export interface PlannedMessage {
  /** `j00012.3`: the third message of journey 12. Every message carries it as `ref`. */
  id: string;
  journeyId: string;
  personaId: string;
  /** Real milliseconds after the run starts. */
  at: number;
  channel: SimulatedChannel;
  content: PlannedContent;
  /** How many times the provider sends the webhook (more than 1: a redelivery on purpose). */
  deliveries: number;
}

export interface TrafficPlan {
  format: typeof trafficFormat;
  /** The scenario as written (before defaults), so a replay applies the same app, faults and SLOs. */
  scenarioSource: unknown;
  scenario: Scenario;
  personas: PlannedPersona[];
  journeys: PlannedJourney[];
  /** In sending order: by time, then id. */
  messages: PlannedMessage[];
  /** Arrivals that found no free persona or hit the concurrency limit. */
  skippedArrivals: number;
}

const firstNames = [
  'Ada',
  'Grace',
  'Alan',
  'Katherine',
  'Linus',
  'Margaret',
  'Dennis',
  'Barbara',
  'Ken',
  'Radia',
  'Edsger',
  'Frances',
  'Tim',
  'Hedy',
  'John',
  'Sophie',
  'Niklaus',
  'Joan',
  'Guido',
  'Anita',
];
const lastNames = [
  'Quinn',
  'Okafor',
  'Lindqvist',
  'Moreau',
  'Tanaka',
  'Silva',
  'Novak',
  'Haddad',
  'Kowalski',
  'Ferreira',
  'Nakamura',
  'Brennan',
  'Ivanova',
  'Mensah',
  'Rossi',
  'Schmidt',
  'Dubois',
  'Costa',
];
const openers = [
  'Hi, my order {order} has not arrived yet',
  'Hello! I was charged twice for order {order}',
  'Can you help me change the delivery address of {order}?',
  'The parcel for {order} arrived damaged',
  'I would like to return the shoes from order {order}',
];
const followUps = [
  'Any update on {order}?',
  'I am writing from {channel} now, same problem with {order}',
  'Here is more detail: the tracking page shows nothing for {order}',
  'Could you also send the invoice for {order}?',
  'Still waiting on {order}, please check',
];
const closers = ['Thanks, that solved it', 'Great, thank you!', 'Perfect, have a nice day'];
const places = ['Front desk', 'Pickup point', 'Office entrance', 'Parcel locker'];

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

function sample(random: Random, range: Range): number {
  return range.min === range.max ? range.min : random.between(range.min, range.max);
}

/** Addresses for the persona at `index`: unique, valid, and the same for the same seed. */
function personaIdentities(
  group: PersonaGroup,
  index: number,
  name: { first: string; last: string },
  areaCode: string,
): PlannedPersona['identities'] {
  const identities: PlannedPersona['identities'] = {};
  const phone = `+1${areaCode}${2_000_000 + index}`;
  for (const channel of group.identities) {
    if (channel === 'whatsapp' || channel === 'sms') identities[channel] = phone;
    if (channel === 'email')
      identities.email = `${name.first}.${name.last}.${index}@mail.example`.toLowerCase();
    if (channel === 'telegram') identities.telegram = String(700_000_000 + index);
    if (channel === 'webchat') identities.webchat = `visitor-${pad(index, 6)}`;
  }
  return identities;
}

function customerContent(
  random: Random,
  kind: CustomerContentKind,
  context: {
    ref: string;
    order: string;
    channel: string;
    position: 'first' | 'middle' | 'last';
    persona: PlannedPersona;
  },
): PlannedContent {
  const fill = (template: string) =>
    `${template.replaceAll('{order}', context.order).replaceAll('{channel}', context.channel)} (ref ${context.ref})`;
  switch (kind) {
    case 'text': {
      const templates =
        context.position === 'first' ? openers : context.position === 'last' ? closers : followUps;
      return { kind: 'text', text: fill(random.pick(templates)) };
    }
    case 'image':
      return {
        kind: 'image',
        caption: fill('Photo of the parcel for {order}'),
        fileName: `parcel-${context.ref}.png`,
      };
    case 'location':
      return {
        kind: 'location',
        latitude: Number(random.between(-60, 60).toFixed(5)),
        longitude: Number(random.between(-150, 150).toFixed(5)),
        name: `${random.pick(places)} (ref ${context.ref})`,
      };
    case 'contact':
      return {
        kind: 'contact',
        name: `${context.persona.name} (ref ${context.ref})`,
        phone:
          context.persona.identities.whatsapp ?? context.persona.identities.sms ?? '+16282000000',
      };
  }
}

/** Busy customers by the time they are free again (ties in journey order): a binary heap. */
class BusyHeap {
  private readonly items: Array<{ until: number; order: number; persona: PlannedPersona }> = [];

  get size(): number {
    return this.items.length;
  }

  private before(a: number, b: number): boolean {
    const left = this.items[a]!;
    const right = this.items[b]!;
    return left.until < right.until || (left.until === right.until && left.order < right.order);
  }

  private swap(a: number, b: number): void {
    [this.items[a], this.items[b]] = [this.items[b]!, this.items[a]!];
  }

  peek() {
    return this.items[0];
  }

  push(item: { until: number; order: number; persona: PlannedPersona }): void {
    this.items.push(item);
    for (let index = this.items.length - 1; index > 0; ) {
      const parent = (index - 1) >> 1;
      if (!this.before(index, parent)) break;
      this.swap(index, parent);
      index = parent;
    }
  }

  pop() {
    const top = this.items[0];
    const last = this.items.pop();
    if (this.items.length > 0 && last) {
      this.items[0] = last;
      for (let index = 0; ; ) {
        const left = index * 2 + 1;
        const right = left + 1;
        let smallest = index;
        if (left < this.items.length && this.before(left, smallest)) smallest = left;
        if (right < this.items.length && this.before(right, smallest)) smallest = right;
        if (smallest === index) break;
        this.swap(index, smallest);
        index = smallest;
      }
    }
    return top;
  }
}

/**
 * The traffic a scenario describes, drawn from its seed: who the customers are, which
 * journeys they take and when each message is sent. The same scenario and seed always give
 * the same plan.
 */
export function planTraffic(scenario: Scenario, scenarioSource: unknown): TrafficPlan {
  const random = createRandom(scenario.seed);
  const names = random.fork('names');
  const areaCode = random.fork('area').pick(['628', '415', '510', '650', '707']);
  const personas: PlannedPersona[] = [];
  const groupOf = new Map<string, PersonaGroup>();
  for (const group of scenario.personas) {
    for (let index = 0; index < group.count; index++) {
      const number = personas.length + 1;
      const name = { first: names.pick(firstNames), last: names.pick(lastNames) };
      const persona: PlannedPersona = {
        id: `p${pad(number, 5)}`,
        name: `${name.first} ${name.last}`,
        group: group.name,
        link: group.link,
        identities: personaIdentities(group, number, name, areaCode),
      };
      personas.push(persona);
      groupOf.set(persona.id, group);
    }
  }
  // interleave the groups so arrivals mix them
  const shuffle = random.fork('shuffle');
  const shuffled = personas.map((persona) => ({ persona, key: shuffle.next() }));
  shuffled.sort((a, b) => a.key - b.key);
  // free customers in the order they became free; busy ones by when they are free again
  const free = shuffled.map((entry) => entry.persona);
  let nextFree = 0;
  const busy = new BusyHeap();

  const arrivals = random.fork('arrivals');
  const journeyRandom = random.fork('journeys');
  const redelivery = random.fork('redelivery');
  const { load } = scenario;
  const journeys: PlannedJourney[] = [];
  const messages: PlannedMessage[] = [];
  let skippedArrivals = 0;
  let time = 0;
  const burstGap: Range = { min: 40, max: 200 };

  for (;;) {
    const level = load.rampUp > 0 ? Math.max(0.05, Math.min(1, time / load.rampUp)) : 1;
    time += arrivals.exponential(1000 / (load.arrivalRate * level));
    if (time >= load.duration) break;
    if (load.journeys !== undefined && journeys.length >= load.journeys) break;
    // customers whose journey ended are free again
    while (busy.size > 0 && busy.peek()!.until <= time) free.push(busy.pop()!.persona);
    if (busy.size >= load.concurrency || nextFree >= free.length) {
      skippedArrivals += 1;
      continue;
    }
    const persona = free[nextFree++]!;
    const group = groupOf.get(persona.id)!;
    const journey = journeyRandom.weighted(
      eligibleJourneys(scenario, group),
      (item) => item.weight,
    );
    const journeyId = `j${pad(journeys.length + 1, 5)}`;
    const orderNumber = `#${journeyRandom.int(1000, 9999)}`;
    const planned: PlannedJourney = {
      id: journeyId,
      name: journey.name,
      personaId: persona.id,
      startAt: time,
      messageIds: [],
      expectsLinkedConversations: false,
    };
    let at = time;
    const total = journey.steps.reduce((sum, step) => sum + step.messages, 0);
    let counter = 0;
    for (const [stepIndex, step] of journey.steps.entries()) {
      const thinkScenarioMs = stepIndex === 0 ? 0 : sample(journeyRandom, step.after);
      if (thinkScenarioMs > scenario.continuityWindow) planned.expectsLinkedConversations = true;
      at += thinkScenarioMs / scenario.timeScale;
      for (let repeat = 0; repeat < step.messages; repeat++) {
        if (repeat > 0) at += sample(journeyRandom, burstGap);
        counter += 1;
        const id = `${journeyId}.${counter}`;
        const kind = journeyRandom.pick(step.content);
        const webhookRedelivery = scenario.faults.webhookRedelivery;
        messages.push({
          id,
          journeyId,
          personaId: persona.id,
          at: Math.round(at * 1000) / 1000,
          channel: step.channel,
          content: customerContent(journeyRandom, kind, {
            ref: id,
            order: orderNumber,
            channel: step.channel,
            position: counter === 1 ? 'first' : counter === total && total > 2 ? 'last' : 'middle',
            persona,
          }),
          deliveries:
            webhookRedelivery && redelivery.chance(webhookRedelivery.rate)
              ? webhookRedelivery.times
              : 1,
        });
        planned.messageIds.push(id);
      }
    }
    journeys.push(planned);
    // the persona is busy until its journey ends and the last answer had time to arrive
    busy.push({ until: at + 2_000, order: journeys.length, persona });
  }

  messages.sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
  return {
    format: trafficFormat,
    scenarioSource,
    scenario,
    personas,
    journeys,
    messages,
    skippedArrivals,
  };
}

/** The plan played `speed` times faster: every time divided by `speed`. */
export function speedUp(plan: TrafficPlan, speed: number): TrafficPlan {
  if (speed === 1) return plan;
  return {
    ...plan,
    journeys: plan.journeys.map((journey) => ({ ...journey, startAt: journey.startAt / speed })),
    messages: plan.messages.map((message) => ({ ...message, at: message.at / speed })),
  };
}
