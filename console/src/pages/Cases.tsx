// 事件看板: the cases this person's jurisdiction holds, most urgent first,
// as the core orders and scopes them.

import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { useWords } from '../i18n';
import { href } from '../router';
import type { CaseRow, CaseState } from '../types';

const STATES: CaseState[] = ['reported', 'filed', 'dispatched', 'in_progress', 'resolved', 'confirmed', 'closed', 'dismissed'];

export function Cases() {
  const [w] = useWords();
  const [rows, setRows] = useState<CaseRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [openOnly, setOpenOnly] = useState(false);
  const [state, setState] = useState<CaseState | ''>('');

  useEffect(() => {
    setRows(null);
    api
      .get<CaseRow[]>(`/cases?open_only=${openOnly}&limit=500`)
      .then(setRows)
      .catch((e: unknown) => setError(e instanceof ApiError ? e.reason : String(e)));
  }, [openOnly]);

  const shown = (rows ?? []).filter((r) => state === '' || r.state === state);
  return (
    <section aria-labelledby="cases-title">
      <h1 id="cases-title">{w.casesTitle}</h1>
      <div class="filters">
        <label>
          <input type="checkbox" checked={openOnly} onChange={(e) => setOpenOnly(e.currentTarget.checked)} />
          {w.openOnly}
        </label>
        <label>
          {w.stateFilter}
          <select value={state} onChange={(e) => setState(e.currentTarget.value as CaseState | '')}>
            <option value="">{w.all}</option>
            {STATES.map((s) => (
              <option value={s}>{w.states[s]}</option>
            ))}
          </select>
        </label>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {rows === null && !error ? (
        <p aria-live="polite">{w.loading}</p>
      ) : shown.length === 0 ? (
        <p>{w.noCases}</p>
      ) : (
        <table class="board">
          <thead>
            <tr>
              <th scope="col">{w.colTitle}</th>
              <th scope="col">{w.colState}</th>
              <th scope="col">{w.colGrid}</th>
              <th scope="col">{w.colDeadline}</th>
              <th scope="col">{w.colLevel}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={r.id} class={`severity-${r.severity}`}>
                <td>
                  <a href={href({ page: 'case', id: r.id })}>{r.title}</a>
                </td>
                <td>
                  <span class={`state state-${r.state}`}>{w.states[r.state]}</span>
                </td>
                <td>{r.grid_code}</td>
                <td class={r.countdown_secs !== null && r.countdown_secs < 0 ? 'overdue' : ''}>{r.countdown_label}</td>
                <td>{w.level(r.escalation_level)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
