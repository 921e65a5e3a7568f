// A list of cases as the core gives them (title to its page, state,
// grid, countdown, escalation level), for the board and the escalations.

import { useWords } from './i18n';
import { href } from './router';
import type { CaseRow } from './types';

export function CaseTable({ rows }: { rows: CaseRow[] }) {
  const [w] = useWords();
  return (
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
        {rows.map((r) => (
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
  );
}
