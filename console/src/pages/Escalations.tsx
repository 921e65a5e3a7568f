// 督办: what has come up to this supervisor — open cases escalated to their
// level, soonest deadline first (the core's order), and their messages
// (escalations, extension requests) in the core's words. Opening a message
// marks it read and opens its case.

import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { pick, useWords } from '../i18n';
import { CaseTable } from '../CaseTable';
import { href } from '../router';
import type { CaseBoard, CaseRow, Inbox } from '../types';

export function Escalations() {
  const [w, lang] = useWords();
  const [cases, setCases] = useState<CaseRow[] | null>(null);
  const [inbox, setInbox] = useState<Inbox | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const fail = (e: unknown) => setError(e instanceof ApiError ? e.reason : String(e));
    api
      .get<CaseBoard>('/cases?scope=escalated&open_only=true&limit=500')
      .then((b) => setCases(b.rows))
      .catch(fail);
    api.get<Inbox>('/inbox?limit=100').then(setInbox).catch(fail);
  }, []);

  async function open(itemId: string, caseId: string) {
    try {
      await api.post(`/inbox/${encodeURIComponent(itemId)}/read`);
    } finally {
      location.hash = href({ page: 'case', id: caseId });
    }
  }

  return (
    <section aria-labelledby="esc-title">
      <h1 id="esc-title">{w.escalationsTitle}</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <h2>{w.escalatedToMe}</h2>
      {cases === null ? (
        <p aria-live="polite">{w.loading}</p>
      ) : cases.length === 0 ? (
        <p>{w.noEscalated}</p>
      ) : (
        <CaseTable rows={cases} />
      )}
      <h2>
        {w.messages}
        {inbox && inbox.unread > 0 && <span class="badge">{w.unread(inbox.unread)}</span>}
      </h2>
      {inbox === null ? (
        <p aria-live="polite">{w.loading}</p>
      ) : inbox.items.length === 0 ? (
        <p>{w.noMessages}</p>
      ) : (
        <ul class="messages">
          {inbox.items.map((m) => (
            <li key={m.item.id} class={m.item.read_at ? '' : 'unread'}>
              <button type="button" class="link" onClick={() => void open(m.item.id, m.item.case_id)}>
                {pick(lang, m.title_zh, m.title_en)}
              </button>
              {!m.item.read_at && <span class="badge">{w.unreadMark}</span>}
              <div>{pick(lang, m.body_zh, m.body_en)}</div>
              <time class="muted" dateTime={m.item.created_at}>
                {new Date(m.item.created_at).toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN')}
              </time>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
