// The frame around every page: the console's name, the pages this person
// has, who is signed in, language, sign out.

import type { ComponentChildren } from 'preact';
import { api } from '../api';
import { useWords } from '../i18n';
import type { SessionInfo } from '../types';
import { LanguageSwitch } from './LanguageSwitch';

export function Layout({
  session,
  onSignedOut,
  children,
}: {
  session: SessionInfo;
  onSignedOut: () => void;
  children: ComponentChildren;
}) {
  const [w] = useWords();
  async function signOut(everywhere: boolean) {
    try {
      await api.post(everywhere ? '/sign-out-everywhere' : '/sign-out');
    } finally {
      onSignedOut();
    }
  }
  return (
    <div class="frame">
      <header class="top">
        <span class="brand">{w.appName}</span>
        <nav aria-label={w.appName}>
          <a href="#/cases" aria-current="page">
            {w.navCases}
          </a>
        </nav>
        <div class="who">
          <span>
            {w.signedInAs}: {session.user.name}（{w.roles[session.user.role]}）
          </span>
          <LanguageSwitch />
          <button type="button" onClick={() => signOut(false)}>
            {w.signOut}
          </button>
          <button type="button" onClick={() => signOut(true)}>
            {w.signOutEverywhere}
          </button>
        </div>
      </header>
      <main class="content">{children}</main>
    </div>
  );
}
