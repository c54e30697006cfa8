import { hrefFor, type Route } from './route';

interface NavigationItem {
  view: string;
  label: string;
  href: string;
  matches: (view: Route['view']) => boolean;
}

/** The sidebar: each view has its entry here, its route in route.ts and its component in views/. */
export const navigation: NavigationItem[] = [
  {
    view: 'conversations',
    label: 'Conversations',
    href: hrefFor.conversations(),
    matches: (view) => view === 'conversations' || view === 'conversation' || view === 'contact',
  },
  {
    view: 'connectors',
    label: 'Connectors',
    href: hrefFor.connectors(),
    matches: (view) => view === 'connectors',
  },
  {
    view: 'quarantine',
    label: 'Quarantine',
    href: hrefFor.quarantine(),
    matches: (view) => view === 'quarantine',
  },
  {
    view: 'webhooks',
    label: 'Webhooks',
    href: hrefFor.webhooks(),
    matches: (view) => view === 'webhooks',
  },
  {
    view: 'analytics',
    label: 'Analytics',
    href: hrefFor.analytics(),
    matches: (view) => view === 'analytics',
  },
];
