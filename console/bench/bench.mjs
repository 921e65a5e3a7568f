// The console in the browser on the demo city: how long the overview and
// the case board take to be usable, how long the map takes to draw its
// grids, and the JavaScript shipped beside its budget. The small demo city
// runs first in the same script as the baseline. Writes a Markdown section
// for docs/benchmarks.md (scripts/bench.sh console splices it in).
//
//   node bench/bench.mjs --bin target/release/gridwork --out target/bench/console.md

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const bin = arg('bin', 'target/release/gridwork');
const out = arg('out', 'target/bench/console.md');
const RUNS = 7;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function demo(small) {
  const dir = mkdtempSync(join(tmpdir(), 'gridwork-console-bench-'));
  const args = ['demo', '--serve', '--port', '0', '--dir', join(dir, 'demo')];
  if (small) args.push('--small');
  const child = spawn(bin, args, { env: { ...process.env, GRIDWORK_DEMO_NO_BARS: '1', RUST_LOG: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const started = Date.now();
  const url = await new Promise((ok, fail) => {
    // Bounded: the default city takes a few minutes in a release build.
    const timer = setTimeout(() => fail(new Error(`demo did not start:\n${text}`)), 20 * 60_000);
    child.stdout.on('data', (b) => {
      text += b;
      const m = text.match(/web console: (http:\/\/[^\s]+)\//);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    child.stderr.on('data', (b) => (text += b));
    child.on('exit', (code) => fail(new Error(`demo exited ${code}:\n${text}`)));
  });
  const summary = JSON.parse(readFileSync(join(dir, 'demo', 'demo-summary.json'), 'utf8'));
  const signIns = JSON.parse(readFileSync(join(dir, 'demo', 'console-sign-ins.json'), 'utf8'));
  return {
    url,
    setupS: (Date.now() - started) / 1000,
    figures: summary.report.figures,
    admin: signIns.find((s) => s.role === 'administrator'),
    stop() {
      child.kill('SIGINT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function measure(browser, city) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(city.url + '/');
  await page.getByLabel('账号').fill(city.admin.user_id);
  await page.getByLabel('密码').fill(city.admin.password);
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.getByRole('heading', { name: /^总览：/ }).waitFor();
  const overview = [];
  const map = [];
  const land = [];
  const board = [];
  for (let i = 0; i < RUNS; i++) {
    let t0 = Date.now();
    await page.goto(city.url + '/#/overview');
    await page.reload();
    await page.locator('.promise').nth(3).waitFor();
    await page.locator('.chart svg').nth(3).waitFor();
    await page.locator('.map[data-drawn-ms]').waitFor();
    overview.push(Date.now() - t0);
    map.push(Number(await page.locator('.map').getAttribute('data-drawn-ms')));
    await page.getByText(/处未覆盖/).waitFor({ timeout: 120_000 });
    land.push(Date.now() - t0);
    t0 = Date.now();
    await page.goto(city.url + '/#/cases');
    await page.reload();
    await page.locator('table.board tbody tr').first().waitFor();
    await page.getByText(/^显示 \d+ \/ 共 \d+ 件$/).waitFor();
    board.push(Date.now() - t0);
  }
  const grids = Number(await (async () => {
    await page.goto(city.url + '/#/overview');
    await page.locator('.map[data-grids]').waitFor();
    return page.locator('.map').getAttribute('data-grids');
  })());
  await context.close();
  return { overview, map, land, board, grids };
}

function shippedJs() {
  const dir = new URL('../dist/assets/', import.meta.url);
  let raw = 0;
  let gz = 0;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.js')) continue;
    const bytes = readFileSync(new URL(f, dir));
    raw += bytes.length;
    gz += gzipSync(bytes).length;
  }
  return { raw, gz };
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
const results = [];
for (const small of [true, false]) {
  const city = await demo(small);
  try {
    const m = await measure(browser, city);
    results.push({ name: small ? 'baseline: small demo city' : 'default demo city', city, m });
    console.error(`${small ? 'small' : 'default'}: overview ${median(m.overview)} ms, map ${median(m.map)} ms (${m.grids} grids), board ${median(m.board)} ms`);
  } finally {
    city.stop();
  }
}
await browser.close();

const js = shippedJs();
const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
const ms = (xs) => `${median(xs)} ms (worst ${Math.max(...xs)})`;
const lines = [
  '## The web console in the browser (`scripts/bench.sh console`)',
  '',
  `Measured ${when} UTC on 2 cores: the release \`gridwork demo --serve\` on loopback, Chromium ${browser.version?.() ?? ''}`.trim() +
    ` driven by playwright-core, 1440×900, signed in as the administrator (the whole city). Each figure is the median of ${RUNS} page loads (assets cached after the first), with the worst.`,
  'Overview usable: from navigation to the four promises, the four charts and the map drawn. Map: the time Leaflet took to build and fit the grids layer (canvas renderer, no tiles), measured in the page.',
  'Land coverage (gaps and overlaps, geometry on the server) arrives after the overview is usable and is shown apart. Case board usable: from navigation to the first page of rows and the total.',
  'Goals: overview and board under 1 s, the map of 678 grids under 500 ms, JavaScript under 500 KiB gzip.',
  '',
  '| city | grids | cases | overview usable | map drawn | land coverage shown | case board usable |',
  '|---|---|---|---|---|---|---|',
  ...results.map(({ name, city, m }) =>
    `| ${name} (setup ${Math.round(city.setupS)} s) | ${m.grids} | ${city.figures.cases} | ${ms(m.overview)} | ${ms(m.map)} | ${ms(m.land)} | ${ms(m.board)} |`,
  ),
  '',
  `JavaScript shipped: ${(js.gz / 1024).toFixed(1)} KiB gzip (${(js.raw / 1024).toFixed(0)} KiB raw) against a budget of 500 KiB gzip; most of it Apache ECharts (bars and lines only) and Leaflet.`,
  '',
];
writeFileSync(out, lines.join('\n'));
console.log(lines.join('\n'));
