// The server's optional base map (a tile source and its datum), asked once.
// Boundaries are requested in the tiles' datum so they lie right on them.

import L from 'leaflet';
import { api } from './api';

export interface Tiles {
  url: string;
  system: 'wgs84' | 'gcj02' | 'bd09';
  attribution: string;
}

let asked: Promise<Tiles | null> | null = null;

export function baseMap(): Promise<Tiles | null> {
  asked ??= api
    .get<{ tiles: Tiles | null }>('/map-config')
    .then((c) => c.tiles)
    .catch(() => null);
  return asked;
}

/** The datum to ask the server for boundaries in. */
export function systemParam(tiles: Tiles | null): string {
  return `system=${tiles?.system ?? 'wgs84'}`;
}

/** Put the tiles under `map` (nothing when the server has none). */
export function addTiles(map: L.Map, tiles: Tiles | null): void {
  if (!tiles) return;
  L.tileLayer(tiles.url, { attribution: tiles.attribution, maxZoom: 18, crossOrigin: false }).addTo(map);
  if (tiles.attribution) L.control.attribution({ prefix: false }).addAttribution(tiles.attribution).addTo(map);
}
