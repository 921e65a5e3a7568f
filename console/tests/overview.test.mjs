// The administrator's overview of the demo city: the four promises as
// numbers, a drill-down city → township → village by the parts table, the
// grids drawn on the map with no tile source, the charts, nothing blocked
// by the Content-Security-Policy, no serious accessibility problem.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessibilityProblems, newPage, screenshot, signIn, demoForTests } from './harness.mjs';

const city = demoForTests();

test('the overview opens on the city and drills down to a village', async () => {
  const admin = city.demo.who('administrator');
  const page = await newPage(city.browser, { bypassCSP: false });
  await signIn(page, city.demo.url, admin.user_id, admin.password);
  await page.getByRole('heading', { name: /^总览：/ }).waitFor();
  for (const promise of ['地上有格', '格里有人', '肩上有责', '事有人办']) {
    await page.getByRole('article', { name: promise }).waitFor();
  }
  // The small demo city: one township, 6 villages, 12 grids, all staffed.
  await page.getByText('12 / 12 个网格有网格员').waitFor();
  await page.getByText(/\d+ 处未覆盖，\d+ 处重叠/).waitFor();
  const map = page.getByRole('region', { name: /网格地图/ });
  await map.waitFor();
  assert.equal(await map.getAttribute('data-grids'), '12');
  assert.ok((await map.locator('canvas, path').count()) > 0, 'the grids are drawn');
  assert.equal(await page.locator('.chart svg').count(), 4, 'four charts');
  await screenshot(page, '00-overview.png');
  assert.deepEqual(page.cspViolations, []);
  assert.deepEqual(page.errors, []);

  // City → its township (the only one) → a village, by the parts table.
  const township = page.getByRole('table').getByRole('link').first();
  const townshipName = await township.textContent();
  await township.click();
  await page.getByRole('heading', { name: `总览：${townshipName}` }).waitFor();
  const village = page.getByRole('table').getByRole('link').first();
  const villageName = await village.textContent();
  await village.click();
  await page.getByRole('heading', { name: `总览：${villageName}` }).waitFor();
  const crumbs = page.getByRole('navigation', { name: '总览' });
  await crumbs.getByRole('link', { name: townshipName }).waitFor();
  assert.equal(await page.getByRole('region', { name: /网格地图/ }).getAttribute('data-grids'), '2');
  const rows = await page.getByRole('table').getByRole('row').count();
  assert.equal(rows, 1 + 2, 'a header and its two grids');
  await page.context().close();

  const checked = await newPage(city.browser, { bypassCSP: true });
  await signIn(checked, city.demo.url, admin.user_id, admin.password);
  await checked.getByRole('heading', { name: /^总览：/ }).waitFor();
  await checked.locator('.chart svg').first().waitFor();
  assert.deepEqual(await accessibilityProblems(checked), []);
  await checked.context().close();
});
