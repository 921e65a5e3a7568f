// 审计: who did what and when, newest first — reveals of whole ID and phone
// numbers with their reasons, case events, sign-ins, accounts, devices and
// imports. Administrators only; the server merges and orders the lines.

import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { useWords } from '../i18n';
import type { AuditEntry } from '../types';

const PAGE = 100;

export function Audit() {
  const [w, lang] = useWords();
  const [actor, setActor] = useState('');
  const [revealsOnly, setRevealsOnly] = useState(false);
  const [lines, setLines] = useState<AuditEntry[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = (before: string | null) => {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (actor.trim()) q.set('actor', actor.trim());
    if (revealsOnly) q.set('reveals_only', 'true');
    if (before) q.set('before', before);
    return api
      .get<AuditEntry[]>(`/audit?${q}`)
      .then((page) => {
        setLines(before ? [...(lines ?? []), ...page] : page);
        setMore(page.length === PAGE);
        setError(null);
      })
      .catch((e: unknown) => setError(e instanceof ApiError ? e.reason : String(e)));
  };
  useEffect(() => {
    void load(null);
  }, [revealsOnly]);

  const what = (k: string) =>
    w.auditKinds[k] ?? (k.startsWith('case.') ? w.caseEvent : k.startsWith('import.') ? w.importEvent : k);
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">{w.auditTitle}</h1>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          void load(null);
        }}
      >
        <label>
          {w.auditActor}
          <input name="actor" value={actor} onInput={(e) => setActor(e.currentTarget.value)} />
        </label>
        <button type="submit">{w.submit}</button>
        <label>
          <input type="checkbox" checked={revealsOnly} onChange={(e) => setRevealsOnly(e.currentTarget.checked)} />
          {w.revealsOnly}
        </label>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {lines === null ? (
        <p aria-live="polite">{w.loading}</p>
      ) : lines.length === 0 ? (
        <p>{w.noAudit}</p>
      ) : (
        <>
          <table class="board audit">
            <thead>
              <tr>
                <th scope="col">{w.colTime}</th>
                <th scope="col">{w.colWho}</th>
                <th scope="col">{w.colWhat}</th>
                <th scope="col">{w.colTarget}</th>
                <th scope="col">{w.colDetail}</th>
              </tr>
            </thead>
            <tbody>
              {lines.map((l, i) => (
                <tr key={`${l.at}-${i}`} class={l.kind === 'reveal' ? 'reveal' : ''}>
                  <td>
                    <time dateTime={l.at}>{new Date(l.at).toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN')}</time>
                  </td>
                  <td>
                    {l.actor_name}
                    <div class="muted">{l.actor_id}</div>
                  </td>
                  <td>{what(l.kind)}</td>
                  <td class="muted">{l.target}</td>
                  <td>{l.summary}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {more && (
            <button type="button" onClick={() => void load(lines[lines.length - 1]?.at ?? null)}>
              {w.older}
            </button>
          )}
        </>
      )}
    </section>
  );
}
