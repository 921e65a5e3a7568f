// 导入: choose what and a file, preview it (the core checks every row and
// saves nothing), see each bad row's line, field and reason in a table, then
// import the good rows or only an all-good file. Administrators only.

import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { useWords } from '../i18n';
import type { ImportReport } from '../types';

type Kind = 'regions' | 'households' | 'members';
type Mode = 'preview' | 'best_effort' | 'all_or_nothing';

export function Import() {
  const [w] = useWords();
  const [kind, setKind] = useState<Kind>('households');
  const [file, setFile] = useState<File | null>(null);
  const [report, setReport] = useState<{ mode: Mode; report: ImportReport } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function run(mode: Mode) {
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      const r = await api.upload<ImportReport>(`/import/${kind}?mode=${mode}`, await file.arrayBuffer(), file.type);
      setReport({ mode, report: r });
    } catch (err) {
      setReport(null);
      setError(err instanceof ApiError ? err : new ApiError(0, 'unknown', String(err), null));
    } finally {
      setBusy(false);
    }
  }

  const r = report?.report;
  return (
    <section aria-labelledby="import-title">
      <h1 id="import-title">{w.importTitle}</h1>
      <form
        class="panel inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run('preview');
        }}
      >
        <label>
          {w.importKind}
          <select
            name="kind"
            value={kind}
            onChange={(e) => {
              setKind(e.currentTarget.value as Kind);
              setReport(null);
            }}
          >
            {(['regions', 'households', 'members'] as const).map((k) => (
              <option value={k}>{w.kinds[k]}</option>
            ))}
          </select>
        </label>
        <label>
          {w.file}
          <input
            name="file"
            type="file"
            accept=".csv,.xlsx,.geojson,.json"
            required
            onChange={(e) => {
              setFile(e.currentTarget.files?.[0] ?? null);
              setReport(null);
            }}
          />
        </label>
        <button type="submit" class="primary" disabled={busy || !file}>
          {w.preview}
        </button>
      </form>
      {error && (
        <p class="error" role="alert">
          {error.reason}
        </p>
      )}
      {r && report && (
        <div class="panel" role="status">
          <p>
            {report.mode === 'preview'
              ? w.previewed(r.rows_read, r.imported, r.errors.length)
              : w.imported(r.imported, r.errors.length)}
          </p>
          {r.errors.length === 0 ? (
            <p>{w.noErrors}</p>
          ) : (
            <table class="board">
              <caption>{w.errorsCaption}</caption>
              <thead>
                <tr>
                  <th scope="col">{w.colLine}</th>
                  <th scope="col">{w.colField}</th>
                  <th scope="col">{w.colReason}</th>
                </tr>
              </thead>
              <tbody>
                {r.errors.map((e) => (
                  <tr>
                    <td>{e.line}</td>
                    <td>{e.field}</td>
                    <td>{e.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {report.mode === 'preview' && r.imported > 0 && (
            <div class="buttons">
              <button type="button" class="primary" disabled={busy} onClick={() => void run('best_effort')}>
                {w.importGood}
              </button>{' '}
              <button type="button" disabled={busy || r.errors.length > 0} onClick={() => void run('all_or_nothing')}>
                {w.importAll}
              </button>
            </div>
          )}
        </div>
      )}
    </section>
  );
}
