import { createThreadlineClient } from '@threadline/client';
import type { ConnectorV1 } from '@threadline/connector-kit';
import WebSocket from 'ws';
import { type AnsweringApp, createAnsweringApp } from './answering-app.js';
import { driveTraffic } from './drive-traffic.js';
import { createSmtpFake } from './fakes/fake-smtp.js';
import { createTelegramFake } from './fakes/fake-telegram.js';
import { createTwilioFake } from './fakes/fake-twilio.js';
import { createWebchatFake } from './fakes/fake-webchat.js';
import { createWhatsAppCloudFake } from './fakes/fake-whatsapp-cloud.js';
import {
  type HttpFake,
  type MountedFakes,
  mountInProcess,
  serveLocally,
} from './fakes/mount-fakes.js';
import {
  type FakeContext,
  type GatewayLink,
  type ProviderFake,
  sleep,
  tinyPng,
} from './fakes/provider-fake.js';
import { gatewayRestartDueAt } from './gateway-restart-schedule.js';
import { checkHandoffs, createHandoffApps, type HandoffApps } from './handoff-apps.js';
import { createNotificationCustomers, notificationEnvironment } from './notification-customers.js';
import type { TrafficPlan } from './plan-traffic.js';
import { buildReport, type SimulationReport } from './report/build-report.js';
import { checkAnalytics } from './report/check-analytics.js';
import type { Progress } from './report/progress-bar.js';
import {
  type AppBehaviour,
  type GatewayRestartFault,
  type SimulatedChannel,
  scenarioChannels,
} from './scenario-schema.js';
import {
  freePort,
  type GatewayTarget,
  simulatorApiKey,
  waitFor,
} from './targets/gateway-target.js';
import { startInProcessGateway } from './targets/in-process-target.js';
import { remoteGateway } from './targets/remote-target.js';
import { startSpawnedGateway } from './targets/spawn-target.js';
import { TrafficLedger } from './traffic-ledger.js';
import { verifyContinuity } from './verify-continuity.js';

export type TargetChoice =
  | { kind: 'in-process' }
  | { kind: 'spawn' }
  | {
      kind: 'remote';
      url: string;
      apiKey: string;
      smtp?: { host: string; port: number };
      /** Fixed ports for the fakes, so the gateway's configuration can stay the same. */
      fakePorts?: Record<string, number>;
      /** Where the fakes listen (default 127.0.0.1). */
      fakeHost?: string;
    };

export interface RunOptions {
  plan: TrafficPlan;
  target: TargetChoice;
  progress?: Progress;
  /** Lines for the person running the simulation (the environment for a remote gateway, ...). */
  log?: (line: string) => void;
  /** Changes the answering app (a test may break it on purpose). */
  app?: Partial<AppBehaviour>;
  /** Changes an in-process gateway's connectors before it starts (a deliberately broken build). */
  tamper?: (connectors: Map<string, ConnectorV1>) => void;
  /** Sees the ledger as the run fills it (tests compare what two runs sent). */
  observe?: (ledger: TrafficLedger) => void;
  /** Gateway log level (default: warn for a spawned gateway, silent in-process). */
  gatewayLogLevel?: 'silent' | 'error' | 'warn' | 'info';
}

export const inProcessGatewayUrl = 'https://gateway.simulator.example';

function createFake(channel: SimulatedChannel, context: FakeContext): ProviderFake {
  switch (channel) {
    case 'sms':
      return createTwilioFake(context);
    case 'whatsapp':
      return createWhatsAppCloudFake(context);
    case 'telegram':
      return createTelegramFake(context);
    case 'email':
      return createSmtpFake(context);
    case 'webchat':
      return createWebchatFake(context);
  }
}

const mediaHost: HttpFake = {
  name: 'media',
  async handle(request) {
    const path = new URL(request.url).pathname;
    if (request.method !== 'GET' || !path.startsWith('/files/'))
      return new Response('not found', { status: 404 });
    return new Response(tinyPng, { headers: { 'content-type': 'image/png' } });
  },
};

/**
 * One run: fake providers up, the gateway (in-process, spawned, or remote) pointed at them,
 * the answering app connected, the plan played, the traffic drained, every journey checked,
 * and the report built. Everything started is stopped again, even on failure.
 */
export async function runSimulation(options: RunOptions): Promise<SimulationReport> {
  const startedAt = new Date();
  const scenario = {
    ...options.plan.scenario,
    app: { ...options.plan.scenario.app, ...options.app },
  };
  const plan: TrafficPlan = { ...options.plan, scenario };
  const ledger = new TrafficLedger(plan);
  options.observe?.(ledger);
  const log = options.log ?? (() => undefined);
  const channels = new Set<SimulatedChannel>(scenarioChannels(scenario));
  for (const message of plan.messages) channels.add(message.channel);

  let link: GatewayLink | undefined;
  let mediaOrigin = '';
  const context: FakeContext = {
    ledger,
    scenario,
    gateway: () => {
      if (!link) throw new Error('the gateway is not running yet');
      return link;
    },
    mediaUrl: (fileName) => `${mediaOrigin}/files/${encodeURIComponent(fileName)}`,
  };
  const fakes = new Map<SimulatedChannel, ProviderFake>();
  for (const channel of channels) fakes.set(channel, createFake(channel, context));
  let app: AnsweringApp | undefined;
  let handoff: HandoffApps | undefined;
  let notifying: ReturnType<typeof createNotificationCustomers> | undefined;
  const appReceiver: HttpFake = {
    name: 'app',
    handle: (request) =>
      app ? app.receiver.handle(request) : Promise.resolve(new Response(null, { status: 503 })),
  };
  const httpFakes: HttpFake[] = [
    ...[...fakes.values()].flatMap((fake) =>
      fake.handle ? [{ name: fake.name, handle: (request: Request) => fake.handle!(request) }] : [],
    ),
    mediaHost,
    appReceiver,
  ];

  let mounted: MountedFakes | undefined;
  let target: GatewayTarget | undefined;
  const cleanups: Array<() => Promise<void>> = [];
  try {
    mounted =
      options.target.kind === 'in-process'
        ? mountInProcess(httpFakes)
        : await serveLocally(
            httpFakes,
            options.target.kind === 'remote' ? options.target.fakePorts : {},
            options.target.kind === 'remote' ? options.target.fakeHost : undefined,
          );
    mediaOrigin = mounted.origins.get('media')!;
    for (const fake of fakes.values()) {
      await fake.start?.();
      cleanups.push(async () => fake.close?.());
    }
    const env: Record<string, string> = {};
    for (const fake of fakes.values())
      Object.assign(env, fake.gatewayEnvironment(mounted.origins.get(fake.name) ?? ''));
    if (scenario.app.notifications)
      Object.assign(env, notificationEnvironment(scenario.app.notifications));
    if (scenario.timeScale !== 1)
      env.THREADLINE_CONTINUITY_WINDOW = `${Math.max(1, Math.round(scenario.continuityWindow / scenario.timeScale))}ms`;

    const apiKey =
      options.target.kind === 'remote' ? options.target.apiKey : simulatorApiKey(scenario.seed);
    if (options.target.kind === 'in-process') {
      if (channels.has('email')) env.SMTP_INBOUND_PORT = '0';
      target = await startInProcessGateway({
        env,
        apiKey,
        publicUrl: inProcessGatewayUrl,
        listen: scenario.app.transport === 'websocket' || channels.has('webchat'),
        ...(options.tamper ? { tamper: options.tamper } : {}),
        ...(options.gatewayLogLevel ? { logLevel: options.gatewayLogLevel } : {}),
      });
    } else if (options.target.kind === 'spawn') {
      target = await startSpawnedGateway({
        env,
        apiKey,
        ...(channels.has('email') ? { smtpInboundPort: await freePort() } : {}),
        ...(options.gatewayLogLevel ? { logLevel: options.gatewayLogLevel } : {}),
      });
    } else {
      const remote = options.target;
      log(
        `Configure the gateway at ${remote.url} with (its THREADLINE_PUBLIC_URL must be ${remote.url}):`,
      );
      for (const [name, value] of Object.entries(env)) log(`  ${name}=${value}`);
      if (channels.has('email')) log('  SMTP_INBOUND_PORT=<the port given with --smtp>');
      if (scenario.app.transport === 'webhook') log('  THREADLINE_ALLOW_PRIVATE_WEBHOOKS=1');
      target = remoteGateway({
        url: remote.url,
        apiKey: remote.apiKey,
        ...(remote.smtp ? { smtp: remote.smtp } : {}),
      });
      await waitFor(
        () =>
          fetch(`${target!.baseUrl}/readyz`).then(
            (response) => response.ok,
            () => false,
          ),
        120_000,
        () => `the gateway at ${remote.url} did not become ready`,
        500,
      );
    }
    link = target.link;

    const clientFor = (key: string) =>
      createThreadlineClient({
        baseUrl: target!.baseUrl,
        apiKey: key,
        fetch: target!.fetch,
        webSocket: WebSocket,
        timeoutMs: 20_000,
        retry: { maxRetries: 30, initialDelayMs: 100, maxDelayMs: 1_000 },
      });
    const client = clientFor(apiKey);
    const configured = new Set(
      (await client.connectors.list()).map((connector) => connector.channel),
    );
    const missing = [...channels].filter((channel) => !configured.has(channel));
    if (missing.length)
      throw new Error(
        `the gateway has no connector for ${missing.join(', ')} (it has ${[...configured].join(', ') || 'none'}); configure it with the environment above or pick a scenario without those channels`,
      );

    app = createAnsweringApp({
      client,
      ledger,
      plan,
      // behind the switchboard this app only listens (a CRM logger); the bot and desk answer
      behaviour: scenario.app.switchboard ? { ...scenario.app, replyProbability: 0 } : scenario.app,
      seed: scenario.seed,
      mediaUrl: context.mediaUrl,
      webhookUrl: `${mounted.origins.get('app')}/threadline`,
      log,
    });
    await app.start();
    if (scenario.app.switchboard) {
      handoff = createHandoffApps({
        admin: client,
        clientFor,
        ledger,
        settings: scenario.app.switchboard,
        seed: scenario.seed,
        log,
      });
      await handoff.start();
    }
    if (scenario.app.notifications) {
      notifying = createNotificationCustomers({
        client,
        ledger,
        settings: scenario.app.notifications,
        seed: scenario.seed,
        log,
      });
      notifying.start();
    }

    const restart = scenario.faults.gatewayRestart;
    if (restart && !target.restart)
      log('the restart fault needs a gateway the simulator runs; skipped');
    const trafficStart = ledger.now();
    const stopTraffic = new AbortController();
    const restarts =
      restart && target.restart
        ? restartOnSchedule({
            fault: restart,
            target,
            ledger,
            ...(options.progress ? { progress: options.progress } : {}),
          })
        : undefined;
    // a gateway that does not come back ends the run: no new messages, the error is thrown below
    restarts?.finished.catch(() => stopTraffic.abort());
    const progressTimer = setInterval(() => {
      let seen = 0;
      for (const record of ledger.customer.values()) if (record.seenByApp.length) seen += 1;
      const elapsed = ledger.now() - trafficStart;
      const acknowledged = ledger.acknowledgedCount();
      options.progress?.update({
        phase: 'sending',
        elapsedMs: elapsed,
        planned: plan.messages.length,
        acknowledged,
        seenByApp: seen,
        replies: ledger.replies.size,
        perSecond: elapsed > 0 ? (acknowledged / elapsed) * 1000 : 0,
      });
    }, 200);
    cleanups.push(async () => {
      clearInterval(progressTimer);
      restarts?.stop();
      await restarts?.finished;
    });

    const drive = await driveTraffic({ plan, ledger, fakes, signal: stopTraffic.signal });
    // an open-ended fault stops with the traffic; a fixed count of kills is played out
    if (restart?.times === undefined) restarts?.stop();
    await restarts?.finished;
    await drain({
      ledger,
      app,
      scenario: plan.scenario,
      timeoutMs: scenario.drainTimeout,
      ...(handoff ? { alsoSettled: handoff.settled } : {}),
    });
    clearInterval(progressTimer);
    options.progress?.done();
    await app.stop();
    await handoff?.stop();
    await notifying?.stop();
    const notificationChecks = await notifying?.check();
    const verification = await verifyContinuity({ plan, ledger, client });
    // a remote gateway may hold other traffic in the same hours: its figures are not the run's
    const analytics =
      target.kind === 'remote'
        ? undefined
        : await checkAnalytics({ client, ledger, verification, startedAt });
    return buildReport({
      plan,
      ledger,
      verification,
      target: { kind: target.kind, baseUrl: target.baseUrl },
      startedAt,
      maxLagMs: drive.maxLagMs,
      ...(handoff ? { handoff: checkHandoffs(handoff.observed, ledger) } : {}),
      ...(analytics ? { analytics } : {}),
      ...(notificationChecks ? { notifications: notificationChecks } : {}),
    });
  } catch (error) {
    const output = target?.output?.();
    if (output && error instanceof Error)
      error.message += `\n--- gateway output ---\n${output.slice(-3_000)}`;
    throw error;
  } finally {
    options.progress?.done();
    await app?.stop().catch(() => undefined);
    await handoff?.stop().catch(() => undefined);
    await notifying?.stop().catch(() => undefined);
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await target?.close().catch(() => undefined);
    await mounted?.close().catch(() => undefined);
  }
}

/**
 * Kills and restarts the gateway at the times the fault names, from now on. One restart at a
 * time: a kill due while the gateway is still coming back waits for it (and for the fault's
 * minimum uptime), and each restart is recorded in the ledger once the gateway answers
 * again. `stop()` cancels the kills not yet started; `finished` settles when the last restart
 * begun is over, and rejects if the gateway did not come back.
 */
function restartOnSchedule(options: {
  fault: GatewayRestartFault;
  target: GatewayTarget;
  ledger: TrafficLedger;
  progress?: Progress;
}): { stop(): void; finished: Promise<void> } {
  const { fault, target, ledger, progress } = options;
  const origin = ledger.now();
  let stopped = false;
  let wake: (() => void) | undefined;
  let backAt: number | undefined;
  const finished = (async () => {
    for (let index = 0; ; index += 1) {
      const due = gatewayRestartDueAt(fault, index, backAt);
      if (due === undefined || stopped) return;
      // a timer may fire a millisecond early: never kill before the time
      for (let wait = origin + due - ledger.now(); wait > 0 && !stopped; ) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.ceil(wait));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
        wait = origin + due - ledger.now();
      }
      if (stopped) return;
      const at = ledger.now();
      progress?.note(`restarting the gateway (${target.kind}) at ${Math.round(at)} ms`);
      const { downForMs } = await target.restart!();
      backAt = ledger.now() - origin;
      ledger.gatewayRestarts.push({ at, downForMs });
      progress?.note(`the gateway is back after ${Math.round(downForMs)} ms`);
    }
  })();
  return {
    stop() {
      stopped = true;
      wake?.();
    },
    finished,
  };
}

/**
 * Waits until the traffic settles: every acknowledged message reached the app, the app has
 * nothing left to do, and every reply left the gateway (or failed, and its fallback left).
 */
async function drain(options: {
  ledger: TrafficLedger;
  app: AnsweringApp;
  scenario: TrafficPlan['scenario'];
  timeoutMs: number;
  /** More work that must be done before the run drains (the apps behind the switchboard). */
  alsoSettled?: () => boolean;
}): Promise<void> {
  const { ledger, app, scenario } = options;
  const failedRule = scenario.app.fallback?.some((rule) => rule.when === 'failed');
  const settled = () => {
    for (const record of ledger.customer.values())
      if (record.acknowledged && record.seenByApp.length === 0) return false;
    if (app.outstanding() > 0) return false;
    if (options.alsoSettled && !options.alsoSettled()) return false;
    const copies = new Map<string, string[]>();
    for (const [id, state] of app.outbound)
      if (state.fallbackOfId)
        copies.set(state.fallbackOfId, [...(copies.get(state.fallbackOfId) ?? []), id]);
    for (const reply of ledger.replies.values()) {
      if (!reply.messageId) continue;
      const state = app.outbound.get(reply.messageId);
      if (!state || state.status === 'queued') return false;
      if (state.status === 'failed' && failedRule) {
        const copy = (copies.get(reply.messageId) ?? []).map((id) => app.outbound.get(id)!);
        if (copy.length === 0 || copy.some((item) => item.status === 'queued')) return false;
      }
    }
    return true;
  };
  const deadline = ledger.now() + options.timeoutMs;
  while (!settled() && ledger.now() < deadline) await sleep(50);
  // the last status callbacks
  await sleep(Math.min(2_000, scenario.providers.statusDelay.max * 3 + 50));
  ledger.drainedAt = ledger.now();
}
