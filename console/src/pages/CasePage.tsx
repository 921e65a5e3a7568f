// One case: what it is, where it stands, its history with the hash-chain
// verdict, and a button for exactly each action the core allows this
// person now. Each action's form has the fields the core lists for it.

import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { pick, useWords } from '../i18n';
import { baseMap, systemParam } from '../basemap';
import { CaseLocation } from '../CaseLocation';
import type { ActionInput, ActionOffer, CaseScreen } from '../types';

/** The JSON body of an action from its form's values. */
function actionBody(offer: ActionOffer, values: Record<string, string>): Record<string, unknown> {
  const body: Record<string, unknown> = { type: offer.kind };
  const field: Record<Exclude<ActionInput, 'photos'>, string> = {
    note: 'note',
    reason: 'reason',
    message: 'message',
    handler: 'handler_id',
    days: 'days',
    difficulty: 'difficulty',
  };
  for (const input of offer.inputs) {
    if (input === 'photos') continue;
    const value = values[input] ?? '';
    body[field[input]] = input === 'days' ? Number(value || '0') : input === 'difficulty' ? value || 'normal' : value;
  }
  return body;
}

function ActionForm({
  offer,
  screen,
  onDone,
  onCancel,
}: {
  offer: ActionOffer;
  screen: CaseScreen;
  onDone: () => void;
  onCancel: () => void;
}) {
  const [w, lang] = useWords();
  const [values, setValues] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: string) => (e: { currentTarget: { value: string } }) =>
    setValues({ ...values, [k]: e.currentTarget.value });
  const label = pick(lang, offer.label_zh, offer.label_en);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.post(`/cases/${encodeURIComponent(screen.detail.case.id)}/actions`, actionBody(offer, values));
      onDone();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'unknown', String(err), null));
    } finally {
      setBusy(false);
    }
  }

  const id = (k: string) => `action-${offer.kind}-${k}`;
  return (
    <form class="action-form" onSubmit={submit} aria-label={label}>
      <h3>{label}</h3>
      {offer.inputs.map((input) => {
        switch (input) {
          case 'note':
          case 'reason':
          case 'message':
            return (
              <label for={id(input)}>
                {w[input]}
                <textarea id={id(input)} name={input} value={values[input] ?? ''} onInput={set(input)}
                  aria-invalid={error?.field === input ? 'true' : undefined} />
              </label>
            );
          case 'handler':
            return (
              <label for={id(input)}>
                {w.chooseHandler}
                <select id={id(input)} name="handler" value={values.handler ?? ''} onChange={set('handler')}>
                  <option value="">—</option>
                  {screen.handlers.map((u) => (
                    <option value={u.id}>
                      {u.name}（{w.roles[u.role]}）
                    </option>
                  ))}
                </select>
              </label>
            );
          case 'days':
            return (
              <label for={id(input)}>
                {w.days}
                <input id={id(input)} name="days" type="number" min="1" value={values.days ?? ''} onInput={set('days')} />
              </label>
            );
          case 'difficulty':
            return (
              <label for={id(input)}>
                {w.difficulty}
                <select id={id(input)} name="difficulty" value={values.difficulty ?? 'normal'} onChange={set('difficulty')}>
                  <option value="normal">{w.normal}</option>
                  <option value="hard">{w.hard}</option>
                </select>
              </label>
            );
          case 'photos':
            return null;
        }
      })}
      {error && (
        <p class="error" role="alert">
          {error.reason}
        </p>
      )}
      <div class="buttons">
        <button type="submit" class="primary" disabled={busy}>
          {w.submit}：{label}
        </button>
        <button type="button" onClick={onCancel}>
          {w.cancel}
        </button>
      </div>
    </form>
  );
}

export function CasePage({ id }: { id: string }) {
  const [w, lang] = useWords();
  const [screen, setScreen] = useState<CaseScreen | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<ActionOffer | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = () =>
    baseMap()
      .then((tiles) => api.get<CaseScreen>(`/cases/${encodeURIComponent(id)}?${systemParam(tiles)}`))
      .then((s) => {
        setScreen(s);
        setError(null);
      })
      .catch((e: unknown) => setError(e instanceof ApiError ? e.reason : String(e)));
  useEffect(() => {
    void load();
  }, [id]);

  if (error) {
    return (
      <section>
        <a href="#/cases">{w.back}</a>
        <p class="error" role="alert">
          {error}
        </p>
      </section>
    );
  }
  if (!screen) return <p aria-live="polite">{w.loading}</p>;
  const { detail } = screen;
  const c = detail.case;
  return (
    <section aria-labelledby="case-title" class="case">
      <a href="#/cases">{w.back}</a>
      <h1 id="case-title">{c.title}</h1>
      <p class="case-state">
        <span class={`state state-${c.state}`}>{w.states[c.state]}</span> · {detail.countdown_label} ·{' '}
        {w.level(c.escalation_level)}
      </p>
      <dl class="facts">
        <dt>{w.description}</dt>
        <dd class="description">{c.description || '—'}</dd>
        <dt>{w.reporter}</dt>
        <dd>{detail.reporter_name}</dd>
        <dt>{w.handler}</dt>
        <dd>{detail.handler_name ?? '—'}</dd>
        <dt>{w.household}</dt>
        <dd>{detail.household_name ?? '—'}</dd>
        <dt>{w.colGrid}</dt>
        <dd>{c.path.grid}</dd>
        {c.pending_extension && (
          <>
            <dt>{w.pendingExtension}</dt>
            <dd>{w.extensionAsked(c.pending_extension.days, c.pending_extension.reason)}</dd>
          </>
        )}
      </dl>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <h2>{w.actions}</h2>
      {screen.actions.length === 0 ? (
        <p>{w.noActions}</p>
      ) : (
        <div class="actions">
          {screen.actions.map((a) => (
            <button type="button" class={open?.kind === a.kind ? 'primary' : ''} onClick={() => setOpen(a)}>
              {pick(lang, a.label_zh, a.label_en)}
            </button>
          ))}
        </div>
      )}
      {open && (
        <ActionForm
          key={open.kind}
          offer={open}
          screen={screen}
          onCancel={() => setOpen(null)}
          onDone={() => {
            setNotice(`${w.done}：${pick(lang, open.label_zh, open.label_en)}`);
            setOpen(null);
            void load();
          }}
        />
      )}
      <h2>{w.location}</h2>
      <CaseLocation grid={c.path.grid} evidence={detail.evidence} onMap={screen.fixes} />
      <h2>{w.photos}</h2>
      {detail.evidence.length === 0 ? (
        <p>{w.noPhotos}</p>
      ) : (
        <ul class="photos">
          {detail.evidence.map((e) => {
            const kind = w.photoKind[e.owner.kind === 'visit' ? 'visit' : e.owner.phase] ?? '';
            const at = new Date(e.taken_at).toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN');
            return (
              <li key={e.id}>
                {e.upload_state === 'stored' ? (
                  <a href={`/console/api/evidence/${encodeURIComponent(e.id)}/content`} target="_blank" rel="noopener">
                    <img
                      src={`/console/api/evidence/${encodeURIComponent(e.id)}/content`}
                      alt={w.photoAlt(kind, at)}
                      width={200}
                      height={150}
                      loading="lazy"
                    />
                  </a>
                ) : (
                  <div class="photo-missing">{w.notUploaded}</div>
                )}
                <div class="muted">
                  {kind} · {at}
                </div>
              </li>
            );
          })}
        </ul>
      )}
      <h2>{w.timeline}</h2>
      <p class={detail.chain_break ? 'error' : 'verified'} role="status">
        {detail.chain_break ? `${w.chainBroken}: ${detail.chain_break.reason}` : w.chainOk}
      </p>
      <ol class="timeline">
        {detail.timeline.map((e) => (
          <li key={e.seq}>
            <time dateTime={e.at}>{new Date(e.at).toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN')}</time>{' '}
            <strong>{e.actor_name}</strong>（{w.roles[e.actor_role]}） {e.summary_zh} → {w.states[e.state_after]}
          </li>
        ))}
      </ol>
    </section>
  );
}
