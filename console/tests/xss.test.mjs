// Text people type is shown as text: a grid worker's phone reports a case
// whose title and description carry markup and script (over the sync
// protocol, as a phone does); the village secretary's board and case page
// show those characters literally, nothing runs, nothing is injected.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { newPage, openCases, screenshot, signIn, demoForTests } from './harness.mjs';

const city = demoForTests();

const headers = (token) => ({
  'content-type': 'application/json',
  'x-gridwork-protocol': '1',
  authorization: `Bearer ${token}`,
});

async function v1(path, body, token) {
  const resp = await fetch(`${city.demo.url}/v1${path}`, { method: 'POST', headers: headers(token), body: JSON.stringify(body) });
  const json = await resp.json();
  assert.equal(resp.status, 200, `${path}: ${JSON.stringify(json)}`);
  return json;
}

/** The secretary's village's first grid worker reports `draft` from a new phone. */
async function reportFromPhone(worker, grid, title, description) {
  const { code } = await v1('/admin/activation-codes', { user_id: worker }, city.demo.adminToken);
  const deviceId = randomUUID();
  const { token } = await fetch(`${city.demo.url}/v1/activate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-gridwork-protocol': '1' },
    body: JSON.stringify({ code, device_id: deviceId, device_name: 'xss-phone' }),
  }).then((r) => r.json());
  const caseId = randomUUID();
  const at = new Date().toISOString();
  const category = { priority: 'work_safety', subcategory: 'gas' };
  const draft = { category, severity: 'normal', title, description, household_code: null, grid_code: grid, source: null, evidence_ids: [] };
  const [cityCode, town, village] = grid.split('-');
  // The server decides the event again from the draft; only its id is kept.
  const event = {
    id: randomUUID(), case_id: caseId, seq: 1, at, actor_id: worker, actor_name: worker, actor_role: 'grid_worker',
    kind: {
      type: 'reported', category, severity: 'normal', title, description, household_code: null,
      path: { city: cityCode, township: `${cityCode}-${town}`, village: `${cityCode}-${town}-${village}`, grid },
      source: null, evidence_ids: [], accept_deadline: at, deadline: at,
    },
    state_after: 'reported', prev_hash: '', hash: '',
  };
  const op = {
    seq: 1, op_id: randomUUID(), hlc: `${String(Date.now()).padStart(16, '0')}-00000-xss`, created_at: at,
    operation: { op: 'case_reported', case_id: caseId, draft, at, event },
  };
  const answer = await v1('/sync/push', { device_id: deviceId, acked_through: 0, ops: [op] }, token);
  assert.equal(answer.answers[0].status, 'applied', JSON.stringify(answer));
  return caseId;
}

test('a case description with <script> shows as text and runs nothing', async () => {
  const me = city.demo.who('village_secretary');
  const village = me.user_id.replace(/^s-/, '');
  const grid = `${village}-01`;
  const title = '<img src=x onerror="document.title=\'pwned\'">楼道杂物';
  const description = '<script>document.title="pwned"</script><b>住户说</b> & "不让进"';
  await reportFromPhone(`w-${grid}-1`, grid, title, description);

  const page = await newPage(city.browser);
  let dialogs = 0;
  page.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  await signIn(page, city.demo.url, me.user_id, me.password);
  await openCases(page);
  const link = page.getByRole('link', { name: title });
  await link.waitFor();
  await link.click();
  await page.getByRole('heading', { name: title }).waitFor();
  const shown = page.locator('dd.description');
  assert.equal(await shown.textContent(), description, 'the characters as typed');
  assert.equal(await shown.locator('script, b').count(), 0, 'no element made from it');
  assert.equal(await page.locator('img[src="x"]').count(), 0);
  assert.equal(await page.title(), '网格通 指挥中心');
  assert.equal(dialogs, 0);
  await screenshot(page, '10-case-typed-markup.png');
  await page.context().close();
});
