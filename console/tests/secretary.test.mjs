// A village secretary in the browser: signs in, sees her village's cases,
// confirms one resolved case and sends another back (a reason is required:
// the core's refusal is shown first), every page free of serious
// accessibility problems. Screenshots of what she sees.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { accessibilityProblems, newPage, openCases, screenshot, signIn, demoForTests } from './harness.mjs';

const city = demoForTests();

test('the secretary confirms one resolved case and sends another back', async () => {
  const me = city.demo.who('village_secretary');
  const page = await newPage(city.browser, { bypassCSP: true });
  await page.goto(city.demo.url + '/');
  await page.getByRole('heading', { name: '登录指挥中心' }).waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);
  await screenshot(page, '01-sign-in.png');

  await signIn(page, city.demo.url, me.user_id, me.password);
  await openCases(page);
  const waiting = page.getByRole('row').filter({ hasText: '待核查' });
  await waiting.first().waitFor();
  assert.ok((await waiting.count()) >= 2, 'two cases wait for her confirmation');
  // The core filters: only what waits for her, then only one grid's.
  await page.getByLabel('状态').selectOption('resolved');
  await page.getByText(/^显示 2 \/ 共 2 件$/).waitFor();
  assert.equal(await page.getByRole('row').filter({ hasText: '已结案' }).count(), 0);
  await page.getByLabel('状态').selectOption('');
  await page.getByLabel('只看超期').check();
  // Resolved cases are not overdue: they leave the board (bounded wait).
  await page.getByRole('row').filter({ hasText: '待核查' }).first().waitFor({ state: 'detached' });
  const late = page.locator('table.board tbody tr');
  for (const row of await late.all()) {
    assert.match(await row.textContent(), /超期/, 'every row left is past its deadline');
  }
  await page.getByLabel('只看超期').uncheck();
  await waiting.first().waitFor();
  // One grid of her village: only its cases.
  const grid = page.getByLabel('网格', { exact: true });
  const options = await grid.locator('option').allTextContents();
  assert.ok(options.length >= 3, `all + her grids: ${options}`);
  await grid.selectOption({ index: 1 });
  const chosen = await grid.inputValue();
  // Bounded (playwright's timeout): rows, each of that grid.
  await page.waitForFunction((code) => {
    const rows = [...document.querySelectorAll('table.board tbody tr')];
    return rows.length > 0 && rows.every((r) => r.textContent.includes(code));
  }, chosen);
  await grid.selectOption('');
  await waiting.first().waitFor();
  // The board as a workbook, from the link.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: /导出 Excel/ }).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'gridwork-cases.xlsx');
  const bytes = await readFile(await download.path());
  assert.equal(bytes.subarray(0, 2).toString(), 'PK', 'an XLSX (zip) file');
  assert.deepEqual(await accessibilityProblems(page), []);
  await screenshot(page, '02-cases.png');

  // Confirm the first.
  const first = await waiting.first().getByRole('link').textContent();
  await waiting.first().getByRole('link').click();
  await page.getByRole('heading', { name: first }).waitFor();
  await page.getByText('记录链校验通过，未被篡改').waitFor();
  // Where it is: its grid drawn, each photo's fix (or that there is none) said.
  const where = page.getByRole('region', { name: '事件所在网格和照片定位' });
  await where.locator('canvas').first().waitFor();
  await page.locator('.case-location li').first().waitFor();
  assert.match(await page.locator('.case-location ul').textContent(), /照片定位|照片没有定位信息/);
  // Its photos, served to her: each one drawn (the demo's photos are real JPEGs).
  const photos = page.getByRole('img', { name: /的照片/ });
  await photos.first().waitFor();
  for (const img of await photos.all()) {
    await img.scrollIntoViewIfNeeded();
    await page.waitForFunction((el) => el.complete, await img.elementHandle());
    assert.ok((await img.evaluate((el) => el.naturalWidth)) > 0, 'the photo loads');
  }
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.getByRole('button', { name: '核查通过', exact: true }).click();
  await page.getByLabel('说明').fill('现场复核，已整改到位');
  await screenshot(page, '03-case-confirm.png');
  await page.getByRole('button', { name: '确定：核查通过' }).click();
  await page.getByRole('status').filter({ hasText: '已完成：核查通过' }).waitFor();
  await page.locator('.case-state').getByText('已核查').waitFor();
  await page.getByRole('listitem').filter({ hasText: '现场复核' }).count();

  // Send the second back: without a reason the core refuses, and says why.
  await page.getByRole('link', { name: '返回事件看板' }).click();
  const rest = page.getByRole('row').filter({ hasText: '待核查' });
  await rest.first().waitFor();
  const second = await rest.first().getByRole('link').textContent();
  assert.notEqual(second, first);
  await rest.first().getByRole('link').click();
  await page.getByRole('heading', { name: second }).waitFor();
  await page.getByRole('button', { name: '退回', exact: true }).click();
  await page.getByRole('button', { name: '确定：退回' }).click();
  const refusal = page.locator('.action-form').getByRole('alert');
  await refusal.waitFor();
  assert.match(await refusal.textContent(), /reason|理由/);
  await page.getByLabel('理由（必填）').fill('照片看不清整改结果，请补拍');
  await page.getByRole('button', { name: '确定：退回' }).click();
  await page.getByRole('status').filter({ hasText: '已完成：退回' }).waitFor();
  await screenshot(page, '04-case-sent-back.png');
  // No longer waiting for her (the page reloads the case: bounded wait).
  await page.locator('.case-state .state').filter({ hasNotText: '待核查' }).waitFor();
  assert.deepEqual(page.cspViolations, []);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('English is a switch away and stays chosen', async () => {
  const me = city.demo.who('village_secretary');
  const page = await newPage(city.browser);
  await signIn(page, city.demo.url, me.user_id, me.password);
  await openCases(page);
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('heading', { name: 'Case board' }).waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'Case board' }).waitFor();
  await page.context().close();
});
