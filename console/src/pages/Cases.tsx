// 事件看板: the cases this person's jurisdiction holds, most urgent first,
// narrowed by priority, state, level, overdue and area — every filter is
// the core's (Store::case_board); the page only says what was chosen.

import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { useWords } from '../i18n';
import { CaseTable } from '../CaseTable';
import { AreaPicker } from '../AreaPicker';
import type { CaseBoard, CaseRow, CaseState } from '../types';

const STATES: CaseState[] = ['reported', 'filed', 'dispatched', 'in_progress', 'resolved', 'confirmed', 'closed', 'dismissed'];
const PRIORITIES = ['epidemic_prevention', 'work_safety', 'petition_stability', 'ecology', 'risk_screening'];
const PAGE = 100;

interface Filters {
  open_only: boolean;
  overdue: boolean;
  state: string;
  priority: string;
  level: string;
  region: string;
}

function query(f: Filters, offset: number): string {
  const q = new URLSearchParams({ offset: String(offset), limit: String(PAGE) });
  if (f.open_only) q.set('open_only', 'true');
  if (f.overdue) q.set('overdue', 'true');
  for (const k of ['state', 'priority', 'level', 'region'] as const) if (f[k]) q.set(k, f[k]);
  return q.toString();
}

export function Cases() {
  const [w] = useWords();
  const [rows, setRows] = useState<CaseRow[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [f, setF] = useState<Filters>({ open_only: false, overdue: false, state: '', priority: '', level: '', region: '' });

  const load = (offset: number) =>
    api
      .get<CaseBoard>(`/cases?${query(f, offset)}`)
      .then((b) => {
        setRows(offset === 0 ? b.rows : [...(rows ?? []), ...b.rows]);
        setTotal(b.total);
        setError(null);
      })
      .catch((e: unknown) => setError(e instanceof ApiError ? e.reason : String(e)));
  useEffect(() => {
    setRows(null);
    void load(0);
  }, [f]);

  const set = (k: keyof Filters) => (e: { currentTarget: HTMLSelectElement | HTMLInputElement }) => {
    const t = e.currentTarget;
    setF({ ...f, [k]: t instanceof HTMLInputElement && t.type === 'checkbox' ? t.checked : t.value });
  };
  return (
    <section aria-labelledby="cases-title">
      <h1 id="cases-title">{w.casesTitle}</h1>
      <div class="filters">
        <label>
          <input type="checkbox" checked={f.open_only} onChange={set('open_only')} />
          {w.openOnly}
        </label>
        <label>
          <input type="checkbox" checked={f.overdue} onChange={set('overdue')} />
          {w.overdueOnly}
        </label>
        <label>
          {w.stateFilter}
          <select value={f.state} onChange={set('state')}>
            <option value="">{w.all}</option>
            {STATES.map((s) => (
              <option value={s}>{w.states[s]}</option>
            ))}
          </select>
        </label>
        <label>
          {w.priorityFilter}
          <select value={f.priority} onChange={set('priority')}>
            <option value="">{w.all}</option>
            {PRIORITIES.map((p) => (
              <option value={p}>{w.priorities[p]}</option>
            ))}
          </select>
        </label>
        <label>
          {w.levelFilter}
          <select value={f.level} onChange={set('level')}>
            <option value="">{w.all}</option>
            {[0, 1, 2].map((l) => (
              <option value={String(l)}>{w.levels[l]}</option>
            ))}
          </select>
        </label>
        <AreaPicker onChange={(region) => setF({ ...f, region })} />
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {rows === null && !error ? (
        <p aria-live="polite">{w.loading}</p>
      ) : (rows ?? []).length === 0 ? (
        <p>{w.noCases}</p>
      ) : (
        <>
          <p class="muted" aria-live="polite">
            <span>{w.shownOf(rows?.length ?? 0, total)}</span> ·{' '}
            <a href={`/console/api/export/cases.xlsx?${query(f, 0)}`} download>
              {w.exportCases}
            </a>
          </p>
          <CaseTable rows={rows ?? []} />
          {(rows?.length ?? 0) < total && (
            <button type="button" onClick={() => void load(rows?.length ?? 0)}>
              {w.more}
            </button>
          )}
        </>
      )}
    </section>
  );
}
