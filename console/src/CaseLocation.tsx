// Where a case is: its grid's boundary and each photo's location fix (the
// accuracy circle; a fix the phone flagged as mocked is drawn and labelled
// as such), on Leaflet over the server's base map if it has one. The server
// gives both in the tiles' datum; the words keep the fix as recorded.

import { useEffect, useRef, useState } from 'preact/hooks';
import L from 'leaflet';
import { api } from './api';
import { addTiles, baseMap, systemParam, type Tiles } from './basemap';
import { useWords } from './i18n';
import type { Evidence, FixOnMap } from './types';

type Collection = GeoJSON.FeatureCollection<GeoJSON.Geometry, { code: string; name: string }>;

export function CaseLocation({ grid, evidence, onMap }: { grid: string; evidence: Evidence[]; onMap: FixOnMap[] }) {
  const [w] = useWords();
  const el = useRef<HTMLDivElement>(null);
  const [shape, setShape] = useState<{ data: Collection; tiles: Tiles | null } | null>(null);
  useEffect(() => {
    void baseMap().then((tiles) =>
      api
        .get<Collection>(`/map?region=${encodeURIComponent(grid)}&${systemParam(tiles)}`)
        .then((data) => setShape({ data, tiles }))
        .catch(() => setShape(null)),
    );
  }, [grid]);
  const fixes = evidence.flatMap((e) => (e.fix ? [e.fix] : []));
  useEffect(() => {
    if (!el.current || !shape) return;
    const map = L.map(el.current, { preferCanvas: true, attributionControl: false });
    // The view first: Leaflet's canvas renderer cannot clip shapes added
    // to a map that has none yet.
    const layer = L.geoJSON(shape.data, { style: { color: '#334e68', weight: 2, fillOpacity: 0.08 } });
    const bounds = layer.getBounds();
    for (const f of onMap) bounds.extend([f.lat, f.lon]);
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
    else map.setView([0, 0], 1);
    addTiles(map, shape.tiles);
    layer.addTo(map);
    for (const f of onMap) {
      const colour = f.mock ? '#b3261e' : '#0b5cad';
      L.circle([f.lat, f.lon], { radius: Math.max(f.accuracy_m, 3), color: colour, weight: 1 }).addTo(map);
      L.circleMarker([f.lat, f.lon], { radius: 4, color: colour, fillOpacity: 1 })
        .bindTooltip(w.fixText(f.lat, f.lon, f.accuracy_m, f.mock))
        .addTo(map);
    }
    return () => {
      map.remove();
    };
  }, [shape, onMap]);
  return (
    <div class="case-location">
      <div class="map small" ref={el} role="region" aria-label={w.locationMap} />
      <ul>
        {fixes.length === 0 ? (
          <li>{w.noFix}</li>
        ) : (
          fixes.map((f) => <li class={f.mock ? 'error' : ''}>{w.fixText(f.lat, f.lon, f.accuracy_m, f.mock)}</li>)
        )}
      </ul>
    </div>
  );
}
