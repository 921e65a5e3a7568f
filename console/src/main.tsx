// 指挥中心: find the session (or show sign-in), then the page the hash names.

import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, setCsrf } from './api';
import { setLang, useWords } from './i18n';
import { CasePage } from './pages/CasePage';
import { Audit } from './pages/Audit';
import { Cases } from './pages/Cases';
import { Devices } from './pages/Devices';
import { Escalations } from './pages/Escalations';
import { Import } from './pages/Import';
import { Overview } from './pages/Overview';
import { Roster } from './pages/Roster';
import { Layout } from './pages/Layout';
import { SignIn } from './pages/SignIn';
import { useRoute, type Route } from './router';
import type { SessionInfo } from './types';

function Page({ route, session }: { route: Route; session: SessionInfo }) {
  switch (route.page) {
    case 'case':
      return <CasePage id={route.id} />;
    case 'devices':
      return <Devices />;
    case 'escalations':
      return <Escalations />;
    case 'import':
      return <Import />;
    case 'audit':
      return <Audit />;
    case 'roster':
      return <Roster session={session} />;
    case 'cases':
      return <Cases />;
    case 'overview':
      return <Overview region={route.region} />;
  }
}

function App() {
  const [w] = useWords();
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  const route = useRoute();

  useEffect(() => {
    api
      .get<SessionInfo>('/session')
      .then((s) => {
        setCsrf(s.csrf);
        setSession(s);
      })
      .catch((e: unknown) => {
        if (!(e instanceof ApiError) || e.status !== 401) console.error(e);
        setSession(null);
      });
  }, []);

  useEffect(() => {
    document.title = w.appName;
  }, [w]);

  if (session === undefined) return <p aria-live="polite">{w.loading}</p>;
  if (session === null)
    return (
      <SignIn
        onSignedIn={(s) => {
          setCsrf(s.csrf);
          setSession(s);
        }}
      />
    );
  return (
    <Layout
      session={session}
      route={route}
      onSignedOut={() => {
        setCsrf(null);
        setSession(null);
      }}
    >
      <Page route={route} session={session} />
    </Layout>
  );
}

setLang(localStorage.getItem('gridwork.console.lang') === 'en' ? 'en' : 'zh');
const root = document.getElementById('app');
if (root) render(<App />, root);
