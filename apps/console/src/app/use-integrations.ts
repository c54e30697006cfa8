import type { Integration } from '@threadline/client';
import { useSession } from './context';
import { useAsync } from './use-async';

/** The switchboard's integrations, and a name for an id (the id itself when unknown). */
export function useIntegrations() {
  const { client } = useSession();
  const listed = useAsync(() => client.integrations.list(), [client]);
  const integrations: Integration[] = listed.value ?? [];
  const nameOf = (id: string | null) =>
    id === null ? 'nobody' : (integrations.find((found) => found.id === id)?.name ?? id);
  return { integrations, nameOf, error: listed.error };
}
