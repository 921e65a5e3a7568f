// The grids of a region on a Leaflet map, coloured by open cases. No tile
// source is needed: the boundaries (GeoJSON from the server) are drawn on
// their own, over the server's base map when it has one (in its datum).

import { useEffect, useRef } from 'preact/hooks';
import L from 'leaflet';
import { addTiles, type Tiles } from './basemap';

export interface GridFeatureProps {
  code: string;
  name: string;
  open_cases: number;
  overdue: number;
  escalated: number;
}

type Collection = GeoJSON.FeatureCollection<GeoJSON.Geometry, GridFeatureProps>;

/** Backlog colours, light to dark (sequential, readable on white). */
const STEPS: [number, string][] = [
  [0, '#e3f2e6'],
  [1, '#fde2a7'],
  [3, '#f8a65c'],
  [6, '#e0552e'],
  [10, '#9e1f14'],
];

export function backlogColour(open: number): string {
  let colour = STEPS[0]?.[1] ?? '#ccc';
  for (const [min, c] of STEPS) if (open >= min) colour = c;
  return colour;
}

export function GridMap({
  data,
  tiles,
  label,
  describe,
  onPick,
}: {
  data: Collection;
  tiles: Tiles | null;
  label: string;
  describe: (p: GridFeatureProps) => string;
  onPick: (code: string) => void;
}) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current) return;
    const started = performance.now();
    const map = L.map(el.current, { preferCanvas: true, attributionControl: false, zoomSnap: 0.25 });
    const layer = L.geoJSON(data, {
      style: (f) => ({
        color: '#334e68',
        weight: 1,
        fillColor: backlogColour(f?.properties.open_cases ?? 0),
        fillOpacity: 0.75,
      }),
      onEachFeature: (f, l) => {
        l.bindTooltip(describe(f.properties));
        l.on('click', () => onPick(f.properties.code));
      },
    });
    // The view first: Leaflet's canvas renderer cannot clip shapes added
    // to a map that has none yet.
    const bounds = layer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
    else map.setView([0, 0], 1);
    addTiles(map, tiles);
    layer.addTo(map);
    // For the benchmark: how long drawing the grids took.
    el.current.dataset.drawnMs = String(Math.round(performance.now() - started));
    el.current.dataset.grids = String(data.features.length);
    return () => {
      map.remove();
    };
  }, [data, tiles]);
  return <div class="map" ref={el} role="region" aria-label={label} />;
}
