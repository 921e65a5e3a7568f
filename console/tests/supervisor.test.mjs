// The city supervisor in the browser: the escalations page lists what has
// come up to the city, with messages in the core's words; she approves the
// extension a handler asked for and urges another escalated case, each
// through the buttons the core offers on the case.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessibilityProblems, newPage, screenshot, signIn, demoForTests } from './harness.mjs';

const city = demoForTests();

/** Titles of the escalated cases whose screen offers `kind`, as the API says. */
async function offering(page, kind) {
  return page.evaluate(async (kind) => {
    const board = await (await fetch('/console/api/cases?scope=escalated&open_only=true')).json();
    const out = [];
    for (const r of board.rows) {
      const s = await (await fetch(`/console/api/cases/${r.id}`)).json();
      if (s.actions.some((a) => a.kind === kind)) out.push(r.title);
    }
    return out;
  }, kind);
}

test('the city supervisor approves an extension and urges an escalated case', async () => {
  const me = city.demo.who('city_supervisor');
  const page = await newPage(city.browser, { bypassCSP: true });
  await signIn(page, city.demo.url, me.user_id, me.password);
  await page.getByRole('link', { name: '督办' }).click();
  await page.getByRole('heading', { name: '升级到我这里、尚未办结的事件' }).waitFor();
  const rows = page.getByRole('row').filter({ hasText: '已升级至市级' });
  await rows.first().waitFor();
  await page.getByText(/条未读/).first().waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);
  await screenshot(page, '08-escalations.png');

  // The extension the handler asked for.
  const [extended] = await offering(page, 'approve_extension');
  assert.ok(extended, 'an extension waits for the city');
  await page.getByRole('link', { name: extended }).first().click();
  await page.getByRole('heading', { name: extended }).waitFor();
  await page.getByText('需协调供电部门').first().waitFor();
  await page.getByRole('button', { name: '批准延期', exact: true }).click();
  await page.getByLabel('延期天数').fill('3');
  assert.deepEqual(await accessibilityProblems(page), []);
  await screenshot(page, '09-case-extension.png');
  await page.getByRole('button', { name: '确定：批准延期' }).click();
  await page.getByRole('status').filter({ hasText: '已完成：批准延期' }).waitFor();
  // Approved once: the button goes when the case is reloaded (bounded wait).
  await page.getByRole('button', { name: '批准延期', exact: true }).waitFor({ state: 'detached' });

  // Urge another escalated case.
  await page.getByRole('link', { name: '督办' }).click();
  const [urged] = (await offering(page, 'urge')).filter((t) => t !== extended);
  assert.ok(urged, 'another escalated case can be urged');
  await page.getByRole('link', { name: urged }).first().click();
  await page.getByRole('button', { name: '督办', exact: true }).click();
  await page.getByLabel('督办内容').fill('请今天下班前处置完毕并上传照片');
  await page.getByRole('button', { name: '确定：督办' }).click();
  await page.getByRole('status').filter({ hasText: '已完成：督办' }).waitFor();
  await page.locator('.timeline li').last().getByText(/督办/).waitFor();
  await page.context().close();
});
