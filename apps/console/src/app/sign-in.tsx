import { useState } from 'preact/hooks';
import { signIn, signInProblem } from './session';

export function SignIn({ onSignedIn }: { onSignedIn: (apiKey: string) => void }) {
  const [apiKey, setApiKey] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    const key = apiKey.trim();
    if (!key) return setProblem('Enter an API key.');
    setBusy(true);
    setProblem(null);
    try {
      await signIn(key);
      onSignedIn(key);
    } catch (error) {
      setProblem(signInProblem(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="sign-in">
      <form class="card sign-in-card" onSubmit={submit} aria-describedby="sign-in-help">
        <h1>
          <span class="brand-mark" aria-hidden="true">
            ◆
          </span>{' '}
          Threadline console
        </h1>
        <p id="sign-in-help" class="muted">
          Sign in with an API key. It is kept in this tab only and sent as a bearer token.
        </p>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          value={apiKey}
          onInput={(event) => setApiKey(event.currentTarget.value)}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? 'sign-in-problem' : undefined}
        />
        {problem && (
          <p id="sign-in-problem" class="problem" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" class="button primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
