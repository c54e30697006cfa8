import { useEffect, useMemo, useState } from 'preact/hooks';
import { createContactCache } from './contact-cache';
import { SessionContext } from './context';
import { createPreviewCache } from './conversation-list';
import { createLiveFeed, type LiveState } from './live';
import { navigation } from './navigation';
import { hrefFor, type Route, useRoute } from './route';
import { clientFor, forgetApiKey, storedApiKey } from './session';
import { SignIn } from './sign-in';
import { AnalyticsView } from './views/analytics-view';
import { ConnectorsView } from './views/connectors-view';
import { ContactView } from './views/contact-view';
import { ConversationView } from './views/conversation-view';
import { ConversationsView } from './views/conversations-view';
import { QuarantineView } from './views/quarantine-view';
import { WebhooksView } from './views/webhooks-view';

export function App() {
  const [apiKey, setApiKey] = useState(storedApiKey);
  if (!apiKey) return <SignIn onSignedIn={setApiKey} />;
  return (
    <Console
      apiKey={apiKey}
      onSignOut={() => {
        forgetApiKey();
        setApiKey(null);
      }}
    />
  );
}

const liveLabels: Record<LiveState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  stopped: 'Stream stopped',
};

function Console({ apiKey, onSignOut }: { apiKey: string; onSignOut: () => void }) {
  const session = useMemo(() => {
    const client = clientFor(apiKey);
    const feed = createLiveFeed(client);
    return {
      client,
      feed,
      contacts: createContactCache(client, feed),
      previews: createPreviewCache(feed),
    };
  }, [apiKey]);
  useEffect(() => () => session.feed.close(), [session]);
  const [live, setLive] = useState<LiveState>(session.feed.state);
  useEffect(() => session.feed.onState(setLive), [session]);
  const route = useRoute();

  return (
    <SessionContext.Provider value={session}>
      <div class="shell">
        <a class="skip-link" href="#main">
          Skip to content
        </a>
        <header class="topbar">
          <a class="brand" href={hrefFor.conversations()}>
            <span class="brand-mark" aria-hidden="true">
              ◆
            </span>{' '}
            Threadline
          </a>
          <output class={`live live-${live}`} data-testid="live-state">
            <span class="live-dot" aria-hidden="true" />
            {liveLabels[live]}
          </output>
          <button type="button" class="button subtle" onClick={onSignOut}>
            Sign out
          </button>
        </header>
        <nav class="sidebar" aria-label="Console">
          <ul>
            {navigation.map((item) => (
              <li key={item.view}>
                <a
                  href={item.href}
                  aria-current={item.matches(route.view) ? 'page' : undefined}
                  class={item.matches(route.view) ? 'active' : undefined}
                >
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" class="main" tabIndex={-1}>
          <CurrentView route={route} />
        </main>
      </div>
    </SessionContext.Provider>
  );
}

function CurrentView({ route }: { route: Route }) {
  switch (route.view) {
    case 'conversations':
      return <ConversationsView />;
    case 'conversation':
      return <ConversationView key={route.id} id={route.id} />;
    case 'contact':
      return <ContactView key={route.id} id={route.id} />;
    case 'connectors':
      return <ConnectorsView />;
    case 'quarantine':
      return <QuarantineView />;
    case 'webhooks':
      return <WebhooksView />;
    case 'analytics':
      return <AnalyticsView />;
  }
}
