// 总览: the four promises for a region of this person's reach, its parts
// to drill into (city → township → village → grid), the grids on a map
// coloured by backlog, and the cases in charts. Every figure is the core's.

import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { Chart, type ChartOption } from '../charts';
import { baseMap, systemParam, type Tiles } from '../basemap';
import { GridMap, type GridFeatureProps } from '../GridMap';
import { useWords } from '../i18n';
import { href } from '../router';
import type { Coverage, Overview as OverviewData } from '../types';

type Collection = GeoJSON.FeatureCollection<GeoJSON.Geometry, GridFeatureProps>;

function Promise({ title, sub, lines }: { title: string; sub: string; lines: string[] }) {
  return (
    <article class="promise" aria-label={title}>
      <h2>{title}</h2>
      <p class="muted">{sub}</p>
      {lines.map((l) => (
        <p class="figure">{l}</p>
      ))}
    </article>
  );
}

export function Overview({ region }: { region: string | null }) {
  const [w, lang] = useWords();
  const [data, setData] = useState<OverviewData | null>(null);
  const [map, setMap] = useState<{ data: Collection; tiles: Tiles | null } | null>(null);
  const [coverage, setCoverage] = useState<Coverage | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const q = region ? `?region=${encodeURIComponent(region)}` : '';
    const fail = (e: unknown) => setError(e instanceof ApiError ? e.reason : String(e));
    setData(null);
    setMap(null);
    setError(null);
    api.get<OverviewData>(`/overview${q}`).then(setData).catch(fail);
    void baseMap().then((tiles) =>
      api
        .get<Collection>(`/map${q ? `${q}&` : '?'}${systemParam(tiles)}`)
        .then((data) => setMap({ data, tiles }))
        .catch(fail),
    );
  }, [region]);
  useEffect(() => {
    api
      .get<Coverage>('/coverage')
      .then(setCoverage)
      .catch(() => setCoverage(null));
  }, []);

  const charts = useMemo(() => {
    if (!data) return null;
    const bar = (title: string, keys: string[], values: number[]): ChartOption => ({
      title: { text: title, textStyle: { fontSize: 14 } },
      tooltip: {},
      grid: { left: 40, right: 10, top: 40, bottom: 40 },
      xAxis: { type: 'category', data: keys, axisLabel: { interval: 0 } },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'bar', data: values, itemStyle: { color: '#0b5cad' } }],
    });
    return {
      priority: bar(
        w.byPriority,
        data.cases_by_priority.map((c) => w.priorities[c.key] ?? c.key),
        data.cases_by_priority.map((c) => c.count),
      ),
      state: bar(
        w.byState,
        data.cases_by_state.map((c) => w.states[c.key as keyof typeof w.states] ?? c.key),
        data.cases_by_state.map((c) => c.count),
      ),
      level: bar(
        w.byLevel,
        data.cases_by_level.map((c) => w.levels[Number(c.key)] ?? c.key),
        data.cases_by_level.map((c) => c.count),
      ),
      days: {
        title: { text: w.perDay, textStyle: { fontSize: 14 } },
        tooltip: { trigger: 'axis' },
        legend: { top: 0, right: 0 },
        grid: { left: 40, right: 10, top: 40, bottom: 40 },
        xAxis: { type: 'category', data: data.reported_by_day.map((d) => d.day.slice(5)) },
        yAxis: { type: 'value', minInterval: 1 },
        series: [
          { name: w.reported, type: 'line', data: data.reported_by_day.map((d) => d.reported), color: '#0b5cad' },
          { name: w.escalatedSeries, type: 'line', data: data.reported_by_day.map((d) => d.escalated), color: '#b3261e' },
        ],
      } as ChartOption,
    };
  }, [data, lang]);

  if (error)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  if (!data) return <p aria-live="polite">{w.loading}</p>;
  const r = data.region;
  const registered = r.households + r.places;
  const drill = (code: string) => (location.hash = href({ page: 'overview', region: code }));
  return (
    <section aria-labelledby="overview-title">
      {data.path.length > 0 && (
        <nav aria-label={w.navOverview} class="crumbs">
          {data.path.map((c) => (
            <>
              <a href={href({ page: 'overview', region: c.code })}>{c.name}</a> ›{' '}
            </>
          ))}
          <span aria-current="page">{r.name}</span>
        </nav>
      )}
      <h1 id="overview-title">{w.overviewTitle(r.name)}</h1>
      <p>
        <a href={`/console/api/export/coverage.xlsx${region ? `?region=${encodeURIComponent(region)}` : ''}`} download>
          {w.exportCoverage}
        </a>
      </p>
      <div class="promises">
        <Promise
          title={w.promiseLand}
          sub={w.promiseLandSub}
          lines={[
            w.grids(r.grids),
            coverage ? `${w.gaps(coverage.gaps.length)}，${w.overlaps(coverage.overlaps.length)}` : w.landChecking,
          ]}
        />
        <Promise title={w.promisePeople} sub={w.promisePeopleSub} lines={[w.staffed(r.grids_with_worker, r.grids)]} />
        <Promise
          title={w.promiseDuty}
          sub={w.promiseDutySub}
          lines={[w.registered(r.with_worker, registered), w.dueDone(r.visits_due, r.up_to_date)]}
        />
        <Promise
          title={w.promiseCases}
          sub={w.promiseCasesSub}
          lines={[w.owned(r.open_with_owner, r.open_cases), w.overdueEscalated(r.overdue, r.escalated)]}
        />
      </div>
      <div class="overview-body">
        <div class="map-panel">
          {map && (
            <GridMap
              data={map.data}
              tiles={map.tiles}
              label={w.mapLabel}
              describe={(p) => w.mapTip(p.name, p.open_cases, p.overdue)}
              onPick={drill}
            />
          )}
        </div>
        {data.children.length > 0 && (
          <table class="board parts">
            <caption>{w.parts}</caption>
            <thead>
              <tr>
                <th scope="col">{w.colName}</th>
                <th scope="col">{w.colStaffed}</th>
                <th scope="col">{w.colHouseholds}</th>
                <th scope="col">{w.colDue}</th>
                <th scope="col">{w.colOpen}</th>
                <th scope="col">{w.colOverdue}</th>
                <th scope="col">{w.colEscalated}</th>
              </tr>
            </thead>
            <tbody>
              {data.children.map((c) => (
                <tr key={c.code}>
                  <th scope="row">
                    <a href={href({ page: 'overview', region: c.code })}>{c.name}</a>
                  </th>
                  <td>
                    {c.grids_with_worker}/{c.grids}
                  </td>
                  <td>{c.households + c.places}</td>
                  <td>{c.visits_due}</td>
                  <td>{c.open_cases}</td>
                  <td class={c.overdue > 0 ? 'overdue' : ''}>{c.overdue}</td>
                  <td>{c.escalated}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {charts && (
        <div class="charts">
          <Chart option={charts.priority} label={w.byPriority} />
          <Chart option={charts.state} label={w.byState} />
          <Chart option={charts.level} label={w.byLevel} />
          <Chart option={charts.days} label={w.perDay} />
        </div>
      )}
    </section>
  );
}
