// 登录: an account and password, or an activation code and a new password.
// Every refusal is shown in the server's own words, beside its field.

import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { useWords } from '../i18n';
import type { SessionInfo } from '../types';
import { LanguageSwitch } from './LanguageSwitch';

export function SignIn({ onSignedIn }: { onSignedIn: (s: SessionInfo) => void }) {
  const [w] = useWords();
  const [mode, setMode] = useState<'password' | 'code'>('password');
  const [account, setAccount] = useState('');
  const [secret, setSecret] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const s =
        mode === 'password'
          ? await api.post<SessionInfo>('/sign-in', { user_id: account, password: secret })
          : await api.post<SessionInfo>('/claim', { code, password: secret });
      onSignedIn(s);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'unknown', String(err), null));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="sign-in">
      <div class="sign-in-card">
        <header class="sign-in-head">
          <h1>{w.appName}</h1>
          <LanguageSwitch />
        </header>
        <h2>{mode === 'password' ? w.signInTitle : w.haveCode}</h2>
        <form onSubmit={submit} aria-describedby={error ? 'sign-in-error' : undefined}>
          {mode === 'password' ? (
            <label>
              {w.account}
              <input
                name="account"
                autocomplete="username"
                required
                value={account}
                onInput={(e) => setAccount(e.currentTarget.value)}
              />
            </label>
          ) : (
            <label>
              {w.code}
              <input
                name="code"
                autocomplete="one-time-code"
                required
                value={code}
                onInput={(e) => setCode(e.currentTarget.value)}
              />
            </label>
          )}
          <label>
            {mode === 'password' ? w.password : w.newPassword}
            <input
              name="password"
              type="password"
              autocomplete={mode === 'password' ? 'current-password' : 'new-password'}
              required
              value={secret}
              aria-invalid={error?.field === 'password' ? 'true' : undefined}
              onInput={(e) => setSecret(e.currentTarget.value)}
            />
          </label>
          {error && (
            <p id="sign-in-error" class="error" role="alert">
              {error.reason}
            </p>
          )}
          <button type="submit" class="primary" disabled={busy}>
            {mode === 'password' ? w.signIn : w.claim}
          </button>
        </form>
        <button
          type="button"
          class="link"
          onClick={() => {
            setMode(mode === 'password' ? 'code' : 'password');
            setError(null);
          }}
        >
          {mode === 'password' ? w.haveCode : w.haveAccount}
        </button>
      </div>
    </main>
  );
}
