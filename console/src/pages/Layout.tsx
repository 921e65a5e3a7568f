// The frame around every page: the console's name, the pages this person
// has, who is signed in, language, sign out.

import type { ComponentChildren } from 'preact';
import { api } from '../api';
import { useWords } from '../i18n';
import type { Route } from '../router';
import type { SessionInfo } from '../types';
import { LanguageSwitch } from './LanguageSwitch';

export function Layout({
  session,
  route,
  onSignedOut,
  children,
}: {
  session: SessionInfo;
  route: Route;
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
          <a href="#/overview" aria-current={route.page === 'overview' ? 'page' : undefined}>
            {w.navOverview}
          </a>
          <a href="#/cases" aria-current={route.page === 'cases' || route.page === 'case' ? 'page' : undefined}>
            {w.navCases}
          </a>
          <a href="#/roster" aria-current={route.page === 'roster' ? 'page' : undefined}>
            {w.navRoster}
          </a>
          {(session.user.role === 'township_supervisor' || session.user.role === 'city_supervisor') && (
            <a href="#/escalations" aria-current={route.page === 'escalations' ? 'page' : undefined}>
              {w.navEscalations}
            </a>
          )}
          {session.user.role === 'administrator' && (
            <a href="#/devices" aria-current={route.page === 'devices' ? 'page' : undefined}>
              {w.navDevices}
            </a>
          )}
          {session.user.role === 'administrator' && (
            <a href="#/import" aria-current={route.page === 'import' ? 'page' : undefined}>
              {w.navImport}
            </a>
          )}
          {session.user.role === 'administrator' && (
            <a href="#/audit" aria-current={route.page === 'audit' ? 'page' : undefined}>
              {w.navAudit}
            </a>
          )}
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
