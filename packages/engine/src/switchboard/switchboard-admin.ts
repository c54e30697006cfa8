import { ThreadlineError } from '@threadline/connector-kit';
import type { EventData, EventType } from '@threadline/schema';
import type {
  IdGenerator,
  Integration,
  Job,
  NewJob,
  StoreReader,
  StoreTransaction,
  SwitchboardSettings,
} from '../ports.js';
import { buildIntegration, type IntegrationInput } from './integrations.js';

/** The part of the engine's unit of work the switchboard uses. */
export interface SwitchboardUnit {
  tx: StoreTransaction;
  now: Date;
}

export interface SwitchboardDependencies<U extends SwitchboardUnit> {
  ids: IdGenerator;
  read: StoreReader;
  transact<T>(work: (unit: U) => Promise<T>): Promise<T>;
  emit<T extends EventType>(unit: U, type: T, data: EventData<T>): Promise<void>;
  addJob(unit: U, job: NewJob): Promise<void>;
  finishJob(unit: U, job: Job): Promise<void>;
}

const disabledSettings: SwitchboardSettings = {
  enabled: false,
  defaultIntegrationId: null,
  updatedAt: new Date(0).toISOString(),
};

/** The stored settings; never set: disabled. */
export async function settingsIn(reader: StoreReader): Promise<SwitchboardSettings> {
  return (await reader.getSwitchboard()) ?? disabledSettings;
}

export async function integrationOrThrow(tx: StoreReader, id: string, path: string) {
  const integration = await tx.getIntegration(id);
  if (!integration)
    throw new ThreadlineError('validation_failed', `${path}: no integration ${id}`, {
      details: { path },
    });
  return integration;
}

/** The switchboard's settings and its integrations, through the API. */
export function createSwitchboardAdmin<U extends SwitchboardUnit>(
  deps: SwitchboardDependencies<U>,
) {
  const iso = (date: Date) => date.toISOString();
  return {
    async getSettings(): Promise<SwitchboardSettings> {
      return settingsIn(deps.read);
    },

    async putSettings(input: {
      enabled: boolean;
      defaultIntegrationId?: string | null;
    }): Promise<SwitchboardSettings> {
      return deps.transact(async (unit) => {
        const defaultIntegrationId = input.defaultIntegrationId ?? null;
        if (defaultIntegrationId !== null)
          await integrationOrThrow(unit.tx, defaultIntegrationId, 'defaultIntegrationId');
        if (input.enabled && defaultIntegrationId === null)
          throw new ThreadlineError(
            'validation_failed',
            'defaultIntegrationId: an enabled switchboard needs a default integration',
            { details: { path: 'defaultIntegrationId' } },
          );
        const settings = { enabled: input.enabled, defaultIntegrationId, updatedAt: iso(unit.now) };
        await unit.tx.putSwitchboard(settings);
        return settings;
      });
    },

    listIntegrations: () => deps.read.listIntegrations(),
    getIntegration: (id: string) => deps.read.getIntegration(id),

    async createIntegration(input: IntegrationInput): Promise<Integration> {
      return deps.transact(async (unit) => {
        const integration = await buildIntegration(
          undefined,
          input,
          { id: deps.ids.next(), now: iso(unit.now) },
          async (id) => (await unit.tx.getIntegration(id)) !== undefined,
        );
        await unit.tx.putIntegration(integration);
        return integration;
      });
    },

    async updateIntegration(id: string, input: IntegrationInput): Promise<Integration> {
      return deps.transact(async (unit) => {
        const previous = await unit.tx.getIntegration(id);
        if (!previous) throw new ThreadlineError('not_found', `no integration ${id}`);
        const integration = await buildIntegration(
          previous,
          input,
          { id, now: iso(unit.now) },
          async (other) => (await unit.tx.getIntegration(other)) !== undefined,
        );
        await unit.tx.putIntegration(integration);
        return integration;
      });
    },

    /** Refused while the switchboard's default or another integration's `next` names it. */
    async deleteIntegration(id: string): Promise<void> {
      await deps.transact(async (unit) => {
        const settings = await settingsIn(unit.tx);
        if (settings.defaultIntegrationId === id)
          throw new ThreadlineError('conflict', `integration ${id} is the switchboard's default`);
        const referrer = (await unit.tx.listIntegrations()).find((other) => other.next === id);
        if (referrer)
          throw new ThreadlineError('conflict', `integration ${referrer.id} passes to ${id}`, {
            details: { referencedBy: referrer.id },
          });
        if (!(await unit.tx.deleteIntegration(id)))
          throw new ThreadlineError('not_found', `no integration ${id}`);
      });
    },
  };
}
