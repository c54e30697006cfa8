import { ThreadlineError } from '@threadline/connector-kit';
import type { ConversationControl, Message } from '@threadline/schema';
import type { ControlRecord, Job, SwitchboardSettings } from '../ports.js';
import {
  accept,
  activeAnswered,
  customerWrote,
  decideSend,
  offer,
  openControl,
  pass,
  type TimeoutPayload,
  type Transition,
  timeoutDue,
} from './control-transitions.js';
import { checkMetadata, responseTimeoutMs } from './integrations.js';
import {
  createSwitchboardAdmin,
  integrationOrThrow,
  type SwitchboardDependencies,
  type SwitchboardUnit,
  settingsIn,
} from './switchboard-admin.js';

export type { SwitchboardDependencies, SwitchboardUnit };

/** Who is speaking: the integration of the API key, or null for keys that are no integration. */
export interface Speaker {
  integrationId: string | null;
}

export const controlTimeoutJobKind = 'control_timeout' as const;

/** The public shape of control (what the API and events show). */
export function publicControl(control: ControlRecord | undefined): ConversationControl {
  return {
    activeIntegrationId: control?.activeIntegrationId ?? null,
    pendingIntegrationId: control?.pendingIntegrationId ?? null,
    since: control?.since ?? null,
    metadata: control?.metadata ?? null,
  };
}

const notInControl = (conversationId: string, speaker: string, control: ControlRecord) =>
  new ThreadlineError(
    'not_in_control',
    `integration ${speaker} is not in control of conversation ${conversationId}`,
    {
      details: {
        conversationId,
        activeIntegrationId: control.activeIntegrationId,
        pendingIntegrationId: control.pendingIntegrationId,
      },
    },
  );

/**
 * The switchboard: several integrations share a conversation, one in control. Integrations and
 * the switchboard settings are stored; control lives with each conversation. While the
 * switchboard is disabled every hook is a no-op and everyone receives and sends as before.
 */
export function createSwitchboard<U extends SwitchboardUnit>(deps: SwitchboardDependencies<U>) {
  const iso = (date: Date) => date.toISOString();

  /** The stored control, or (first touch) the default integration taking control. */
  async function controlOf(unit: U, conversationId: string, settings: SwitchboardSettings) {
    const stored = await unit.tx.getControl(conversationId);
    if (stored) return stored;
    return apply(unit, openControl(conversationId, settings.defaultIntegrationId, iso(unit.now)));
  }

  /** Store a transition, append its event, and start the new active integration's clock. */
  async function apply(unit: U, transition: Transition): Promise<ControlRecord> {
    const { control, event } = transition;
    await unit.tx.putControl(control);
    if (event) await deps.emit(unit, event.type, event.data as never);
    if (event?.type !== 'conversation.control_offered' && control.awaitingMessageId)
      await scheduleTimeout(unit, control, control.awaitingMessageId);
    return control;
  }

  async function scheduleTimeout(unit: U, control: ControlRecord, messageId: string) {
    if (!control.activeIntegrationId) return;
    const integration = await unit.tx.getIntegration(control.activeIntegrationId);
    const ms = responseTimeoutMs(integration?.responseTimeout);
    if (ms === null) return;
    const payload: TimeoutPayload = {
      conversationId: control.conversationId,
      integrationId: control.activeIntegrationId,
      messageId,
    };
    await deps.addJob(unit, {
      id: deps.ids.next(),
      kind: controlTimeoutJobKind,
      orderKey: null,
      connectorId: null,
      payload: { ...payload },
      runAt: iso(new Date(unit.now.getTime() + ms)),
      createdAt: iso(unit.now),
    });
  }

  /** Control operations run only with the switchboard on, on a conversation that exists. */
  async function operate(
    conversationId: string,
    work: (unit: U, control: ControlRecord) => Promise<ControlRecord>,
  ): Promise<ConversationControl> {
    return deps.transact(async (unit) => {
      const settings = await settingsIn(unit.tx);
      if (!settings.enabled)
        throw new ThreadlineError('conflict', 'the switchboard is disabled: PUT /v1/switchboard');
      const conversation = await unit.tx.getConversation(conversationId);
      if (!conversation)
        throw new ThreadlineError('not_found', `no conversation ${conversationId}`);
      return publicControl(await work(unit, await controlOf(unit, conversationId, settings)));
    });
  }

  /** Only the active integration (or a key that is no integration) may hand control on. */
  function mustBeActive(speaker: Speaker, control: ControlRecord) {
    if (speaker.integrationId !== null && speaker.integrationId !== control.activeIntegrationId)
      throw notInControl(control.conversationId, speaker.integrationId, control);
  }

  return {
    // ------------------------------------------------------------ hooks the engine calls

    /**
     * A customer message was stored: returns `{ control }` for `message.received` (nothing while
     * disabled), and starts the response timeout when this message is the first unanswered one.
     */
    async onCustomerMessage(unit: U, message: Message): Promise<{ control?: ConversationControl }> {
      const settings = await settingsIn(unit.tx);
      if (!settings.enabled) return {};
      const control = await controlOf(unit, message.conversationId, settings);
      const wrote = customerWrote(control, message.id, iso(unit.now));
      if (wrote.startTimer) {
        await unit.tx.putControl(wrote.control);
        await scheduleTimeout(unit, wrote.control, message.id);
      }
      return { control: publicControl(wrote.control) };
    },

    /**
     * Before a message is queued on a conversation: refuses a sender not in control
     * (`not_in_control`), or passes control to it first (`takeControl`); marks the customer
     * answered when the active integration sends.
     */
    async beforeSend(
      unit: U,
      conversationId: string,
      speaker: Speaker & { takeControl?: boolean },
    ): Promise<void> {
      if (speaker.integrationId === null) return;
      const settings = await settingsIn(unit.tx);
      if (!settings.enabled) return;
      const control = await controlOf(unit, conversationId, settings);
      const decision = decideSend(control, speaker.integrationId, speaker.takeControl ?? false);
      if (decision === 'not_in_control')
        throw notInControl(conversationId, speaker.integrationId, control);
      // The sender answers the customer, so no response timeout starts for it.
      const answered = activeAnswered(control, iso(unit.now));
      if (decision === 'take_control')
        await apply(
          unit,
          pass(answered, speaker.integrationId, control.metadata, 'api', iso(unit.now)),
        );
      else if (answered !== control) await unit.tx.putControl(answered);
    },

    /** The durable response timeout: passes to `next` once, if still due. */
    async runTimeoutJob(job: Job): Promise<void> {
      const payload = job.payload as unknown as TimeoutPayload;
      await deps.transact(async (unit) => {
        const control = await unit.tx.getControl(payload.conversationId);
        const settings = await settingsIn(unit.tx);
        if (control && settings.enabled && timeoutDue(control, payload)) {
          const integration = await unit.tx.getIntegration(payload.integrationId);
          if (integration?.next)
            await apply(
              unit,
              pass(control, integration.next, control.metadata, 'timeout', iso(unit.now)),
            );
        }
        await deps.finishJob(unit, job);
      });
    },

    // ------------------------------------------------------------ the API

    ...createSwitchboardAdmin(deps),

    /** Control of a conversation as stored (all null before anyone took control). */
    async control(conversationId: string): Promise<ConversationControl | undefined> {
      const stored = await deps.read.getControl(conversationId);
      if (stored) return publicControl(stored);
      return (await settingsIn(deps.read)).enabled ? publicControl(undefined) : undefined;
    },

    /** To `to`, or to the active integration's `next`. */
    async passControl(
      conversationId: string,
      input: { to?: string; metadata?: Record<string, unknown> | null },
      speaker: Speaker,
    ) {
      const metadata = checkMetadata(input.metadata);
      return operate(conversationId, async (unit, control) => {
        mustBeActive(speaker, control);
        let to = input.to;
        if (to === undefined) {
          const active = control.activeIntegrationId
            ? await unit.tx.getIntegration(control.activeIntegrationId)
            : undefined;
          if (!active?.next)
            throw new ThreadlineError(
              'validation_failed',
              'to: the active integration has no `next`; name the integration to pass to',
              { details: { path: 'to' } },
            );
          to = active.next;
        }
        await integrationOrThrow(unit.tx, to, 'to');
        return apply(unit, pass(control, to, metadata, 'api', iso(unit.now)));
      });
    },

    async offerControl(
      conversationId: string,
      input: { to: string; metadata?: Record<string, unknown> | null },
      speaker: Speaker,
    ) {
      const metadata = checkMetadata(input.metadata);
      return operate(conversationId, async (unit, control) => {
        mustBeActive(speaker, control);
        await integrationOrThrow(unit.tx, input.to, 'to');
        return apply(unit, offer(control, input.to, metadata, iso(unit.now)));
      });
    },

    /** The pending integration accepts (a key that is no integration accepts for it). */
    async acceptControl(conversationId: string, speaker: Speaker) {
      return operate(conversationId, async (unit, control) => {
        const by = speaker.integrationId ?? control.pendingIntegrationId;
        const result = by
          ? accept(control, by, iso(unit.now))
          : { refused: 'nothing was offered on this conversation' };
        if ('refused' in result) throw new ThreadlineError('conflict', result.refused);
        return apply(unit, result);
      });
    },

    /** Back to the switchboard's default integration. */
    async releaseControl(conversationId: string, speaker: Speaker) {
      return operate(conversationId, async (unit, control) => {
        mustBeActive(speaker, control);
        const settings = await settingsIn(unit.tx);
        return apply(
          unit,
          pass(control, settings.defaultIntegrationId, null, 'release', iso(unit.now)),
        );
      });
    },
  };
}
export type Switchboard<U extends SwitchboardUnit = SwitchboardUnit> = ReturnType<
  typeof createSwitchboard<U>
>;
