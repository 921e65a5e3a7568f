// A base map under the grids: `gridwork serve --map-tiles … --map-tiles-system
// gcj02` against a tile server on loopback. A new administrator opens an
// account with the server's first activation code, imports the boundaries,
// and the overview draws the grids over the tiles: tiles are fetched (the
// CSP lets that one origin in), the boundaries come in GCJ-02 (a few hundred
// metres from the stored WGS-84), the attribution is shown.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { newPage, screenshot, startBrowser } from './harness.mjs';

const root = resolve(import.meta.dirname, '../..');
// An 8×8 light tile.
const TILE = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR4nGO48+wDVsQwtCQAYbWsgZGX7zgAAAAASUVORK5CYII=', 'base64');

function tileServer() {
  const seen = [];
  const server = createServer((req, res) => {
    seen.push(req.url);
    res.writeHead(200, { 'content-type': 'image/png' });
    res.end(TILE);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ server, seen, port: server.address().port })));
}

function serve(tilesUrl) {
  const dir = mkdtempSync(join(tmpdir(), 'gridwork-basemap-'));
  const bin = process.env.GRIDWORK_BIN ?? join(root, 'target/debug/gridwork');
  const child = spawn(
    bin,
    ['serve', '--listen', '127.0.0.1:0', '--data', join(dir, 'data'), '--map-tiles', tilesUrl,
      '--map-tiles-system', 'gcj02', '--map-tiles-attribution', '测试底图 GCJ-02'],
    { env: { ...process.env, RUST_LOG: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`serve did not start:\n${out}`)), 60_000);
    child.stdout.on('data', (b) => {
      out += b;
      const url = out.match(/listening on (http:\/\/[^\s]+)/);
      const code = out.match(/activation code: ([2-9A-Z]{5}-[2-9A-Z]{5})/);
      if (url && code) {
        clearTimeout(timer);
        ok({ url: url[1], code: code[1], stop: () => (child.kill('SIGINT'), rmSync(dir, { recursive: true, force: true })) });
      }
    });
    child.stderr.on('data', (b) => (out += b));
    child.on('exit', (c) => fail(new Error(`serve exited ${c}:\n${out}`)));
  });
}

/** The first coordinate of the first feature. */
const firstPoint = (fc) => {
  let c = fc.features[0].geometry.coordinates;
  while (Array.isArray(c[0])) c = c[0];
  return c;
};

test('the grids are drawn in GCJ-02 over GCJ-02 tiles from the configured server only', async () => {
  const tiles = await tileServer();
  const server = await serve(`http://127.0.0.1:${tiles.port}/{z}/{x}/{y}.png`);
  const browser = await startBrowser();
  try {
    const page = await newPage(browser);
    await page.goto(server.url + '/');
    await page.getByRole('button', { name: '用激活码开通账号' }).click();
    await page.getByLabel('激活码').fill(server.code);
    await page.getByLabel('设置密码（至少10个字符）').fill('第一位管理员的登录密码');
    await page.getByRole('button', { name: '开通并登录' }).click();
    await page.getByRole('button', { name: '退出登录' }).waitFor();

    await page.getByRole('link', { name: '导入导出' }).click();
    await page.getByLabel('导入内容').selectOption('regions');
    const geojson = readFileSync(join(root, 'bindings/testdata/township.geojson'));
    await page.getByLabel('文件').setInputFiles({ name: 'township.geojson', mimeType: 'application/geo+json', buffer: geojson });
    await page.getByRole('button', { name: '预览（不保存）' }).click();
    await page.getByRole('button', { name: '全部正确才导入' }).click();
    await page.getByText(/^已导入 5 行/).waitFor();

    const asked = page.waitForRequest((r) => r.url().includes('/console/api/map?') && r.url().includes('system=gcj02'));
    await page.getByRole('link', { name: '总览' }).click();
    await asked;
    const map = page.getByRole('region', { name: /网格地图/ });
    await page.locator('.map[data-grids]').waitFor();
    assert.equal(await map.getAttribute('data-grids'), '2');
    await page.locator('.leaflet-tile-loaded').first().waitFor();
    assert.ok(tiles.seen.length > 0, 'tiles were fetched from the tile server');
    await page.getByText('测试底图 GCJ-02').waitFor();
    assert.deepEqual(page.cspViolations, [], 'the CSP lets the tile origin in');
    assert.deepEqual(page.errors, []);

    const [wgs, mars] = await page.evaluate(async () =>
      Promise.all(['wgs84', 'gcj02'].map(async (s) => (await fetch(`/console/api/map?system=${s}`)).json())),
    );
    const [wx, wy] = firstPoint(wgs);
    const [mx, my] = firstPoint(mars);
    const shift = Math.hypot((mx - wx) * 102_000, (my - wy) * 111_000);
    assert.ok(shift > 100 && shift < 1000, `GCJ-02 is a few hundred metres off WGS-84: ${shift} m`);
    await screenshot(page, '14-overview-basemap.png');
    await page.context().close();
  } finally {
    await browser.close();
    server.stop();
    tiles.server.close();
  }
});
