// Hash routes (#/cases, #/cases/<id>): the server serves one page at `/`,
// so a deep link never needs a server-side fallback. Small enough that a
// router library would be more code than it replaces.

import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'overview'; region: string | null }
  | { page: 'cases' } | { page: 'case'; id: string } | { page: 'devices' } | { page: 'escalations' } | { page: 'import' }
  | { page: 'audit' }
  | { page: 'roster' };

export function parse(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  if (parts[0] === 'cases' && parts[1]) return { page: 'case', id: decodeURIComponent(parts[1]) };
  if (parts[0] === 'devices') return { page: 'devices' };
  if (parts[0] === 'escalations') return { page: 'escalations' };
  if (parts[0] === 'import') return { page: 'import' };
  if (parts[0] === 'audit') return { page: 'audit' };
  if (parts[0] === 'roster') return { page: 'roster' };
  if (parts[0] === 'cases') return { page: 'cases' };
  return { page: 'overview', region: parts[0] === 'overview' && parts[1] ? decodeURIComponent(parts[1]) : null };
}

export function href(route: Route): string {
  switch (route.page) {
    case 'case':
      return `#/cases/${encodeURIComponent(route.id)}`;
    case 'devices':
      return '#/devices';
    case 'escalations':
      return '#/escalations';
    case 'import':
      return '#/import';
    case 'audit':
      return '#/audit';
    case 'roster':
      return '#/roster';
    case 'cases':
      return '#/cases';
    case 'overview':
      return route.region ? `#/overview/${encodeURIComponent(route.region)}` : '#/overview';
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState<Route>(parse(location.hash));
  useEffect(() => {
    const on = () => setRoute(parse(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
