// 网格与人员: every grid of this person's reach with who covers it today
// (primary and backups) and its households and places; the people with
// their roles and jurisdictions; administrators assign workers to grids.

import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { useWords } from '../i18n';
import type { Roster as RosterData, SessionInfo } from '../types';

function AssignForm({ roster, onDone }: { roster: RosterData; onDone: () => void }) {
  const [w] = useWords();
  const [grid, setGrid] = useState(roster.grids[0]?.code ?? '');
  const [user, setUser] = useState('');
  const [kind, setKind] = useState<'primary' | 'backup'>('backup');
  const [from, setFrom] = useState(roster.day);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    setDone(null);
    try {
      await api.post('/assignments', { user_id: user.trim(), grid_code: grid, kind, from, to: null });
      setDone(`${w.assigned}：${user.trim()} → ${grid}`);
      onDone();
    } catch (err) {
      setError(err instanceof ApiError ? err.reason : String(err));
    }
  }
  return (
    <form class="panel inline-form" onSubmit={submit} aria-labelledby="assign-title">
      <h2 id="assign-title" class="visually-hidden">
        {w.assignTitle}
      </h2>
      <div class="field">
        <label for="assign-grid">{w.assignGrid}</label>
        <select id="assign-grid" value={grid} onChange={(e) => setGrid(e.currentTarget.value)}>
          {roster.grids.map((g) => (
            <option value={g.code}>
              {g.name}（{g.code}）
            </option>
          ))}
        </select>
      </div>
      <label>
        {w.assignUser}
        <input required value={user} onInput={(e) => setUser(e.currentTarget.value)} />
      </label>
      <div class="field">
        <label for="assign-kind">{w.assignKind}</label>
        <select id="assign-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as 'primary' | 'backup')}>
          <option value="primary">{w.primary}</option>
          <option value="backup">{w.backup}</option>
        </select>
      </div>
      <label>
        {w.assignFrom}
        <input type="date" required value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
      </label>
      <button type="submit" class="primary">
        {w.assign}
      </button>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {done && <p role="status">{done}</p>}
    </form>
  );
}

/** An administrator gives a person a console password (or a new one). */
function PasswordCell({ user }: { user: { id: string; name: string } }) {
  const [w] = useWords();
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      await api.post('/accounts', { user_id: user.id, password });
      setDone(true);
      setOpen(false);
      setPassword('');
    } catch (err) {
      setError(err instanceof ApiError ? err.reason : String(err));
    }
  }
  if (!open)
    return (
      <>
        <button type="button" aria-label={w.setPasswordFor(user.name)} onClick={() => setOpen(true)}>
          {w.setPassword}
        </button>
        {done && <p role="status">{w.passwordSet(user.name)}</p>}
      </>
    );
  const id = `password-${user.id}`;
  return (
    <form onSubmit={submit} aria-label={w.setPasswordFor(user.name)}>
      <label for={id}>{w.newPassword}</label>{' '}
      <input id={id} type="password" autocomplete="new-password" required value={password}
        onInput={(e) => setPassword(e.currentTarget.value)} />{' '}
      <button type="submit" class="primary">{w.submit}</button>{' '}
      <button type="button" onClick={() => setOpen(false)}>{w.cancel}</button>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

export function Roster({ session }: { session: SessionInfo }) {
  const [w] = useWords();
  const [roster, setRoster] = useState<RosterData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    api
      .get<RosterData>('/roster')
      .then(setRoster)
      .catch((e: unknown) => setError(e instanceof ApiError ? e.reason : String(e)));
  useEffect(() => {
    void load();
  }, []);
  if (error)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  if (!roster) return <p aria-live="polite">{w.loading}</p>;
  return (
    <section aria-labelledby="roster-title">
      <h1 id="roster-title">{w.rosterTitle}</h1>
      {session.user.role === 'administrator' && <AssignForm roster={roster} onDone={() => void load()} />}
      <table class="board">
        <caption>{w.gridsTitle}</caption>
        <thead>
          <tr>
            <th scope="col">{w.assignGrid}</th>
            <th scope="col">{w.colVillage}</th>
            <th scope="col">{w.colHouseholds}</th>
            <th scope="col">{w.colWorkers}</th>
          </tr>
        </thead>
        <tbody>
          {roster.grids.map((g) => (
            <tr key={g.code}>
              <th scope="row">
                {g.name}
                <div class="muted">{g.code}</div>
              </th>
              <td>{g.village_name}</td>
              <td>{g.households + g.places}</td>
              <td>
                {g.workers.length === 0 ? (
                  <span class="overdue">{w.nobody}</span>
                ) : (
                  g.workers.map((p) => (
                    <div>
                      {p.name}（{p.kind === 'primary' ? w.primary : w.backup}）<span class="muted"> {p.user_id}</span>
                    </div>
                  ))
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <table class="board people">
        <caption>{w.peopleTitle}</caption>
        <thead>
          <tr>
            <th scope="col">{w.colName}</th>
            <th scope="col">{w.colPerson}</th>
            <th scope="col">{w.colRole}</th>
            <th scope="col">{w.colReach}</th>
            {session.user.role === 'administrator' && <th scope="col">{w.colConsole}</th>}
          </tr>
        </thead>
        <tbody>
          {roster.people.map((p) => (
            <tr key={p.user.id}>
              <th scope="row">{p.user.name}</th>
              <td>{p.user.id}</td>
              <td>{w.roles[p.user.role]}</td>
              <td>{(p.user.role === 'grid_worker' ? p.grids : p.user.jurisdiction).join('、') || '—'}</td>
              {session.user.role === 'administrator' && (
                <td>{p.user.role === 'grid_worker' ? '—' : <PasswordCell user={p.user} />}</td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
