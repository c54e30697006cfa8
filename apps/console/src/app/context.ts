import type { ThreadlineClient } from '@threadline/client';
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ContactCache } from './contact-cache';
import type { PreviewCache } from './conversation-list';
import type { LiveFeed } from './live';

export interface Session {
  client: ThreadlineClient;
  feed: LiveFeed;
  contacts: ContactCache;
  previews: PreviewCache;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in console');
  return session;
}
