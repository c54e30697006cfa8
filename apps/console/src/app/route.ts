import { useEffect, useState } from 'preact/hooks';

/** The console's places, from the URL hash (`#/conversations/<id>`): reloads and links keep them. */
export type Route =
  | { view: 'conversations' }
  | { view: 'conversation'; id: string }
  | { view: 'contact'; id: string }
  | { view: 'connectors' }
  | { view: 'quarantine' }
  | { view: 'webhooks' }
  | { view: 'analytics' };

export function parseRoute(hash: string): Route {
  const [view, id] = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (view === 'conversations' && id) return { view: 'conversation', id };
  if (view === 'contacts' && id) return { view: 'contact', id };
  if (view === 'connectors' || view === 'quarantine' || view === 'webhooks' || view === 'analytics')
    return { view };
  return { view: 'conversations' };
}

export const hrefFor = {
  conversations: () => '#/conversations',
  conversation: (id: string) => `#/conversations/${encodeURIComponent(id)}`,
  contact: (id: string) => `#/contacts/${encodeURIComponent(id)}`,
  connectors: () => '#/connectors',
  quarantine: () => '#/quarantine',
  webhooks: () => '#/webhooks',
  analytics: () => '#/analytics',
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
