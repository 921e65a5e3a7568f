// The administrator in the browser: makes an activation code for a grid
// worker (code and QR code on screen), a phone enrols with it over the
// sync protocol, and once the administrator revokes that device the
// phone's next sync is refused with the instruction to wipe.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accessibilityProblems, newPage, screenshot, signIn, startBrowser, startDemo } from './harness.mjs';

let demo;
let browser;
before(async () => {
  demo = await startDemo();
  browser = await startBrowser();
});
after(async () => {
  await browser?.close();
  demo?.stop();
});

/** A phone speaking the sync protocol (what the apps' core does). */
async function phoneCall(path, body, token) {
  const headers = { 'content-type': 'application/json', 'x-gridwork-protocol': '1' };
  if (token) headers.authorization = `Bearer ${token}`;
  const resp = await fetch(`${demo.url}/v1${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: resp.status, body: await resp.json() };
}

test('a code for a worker enrols a phone, and a revoked phone is refused and told to wipe', async () => {
  const admin = demo.who('administrator');
  const page = await newPage(browser, { bypassCSP: true });
  await signIn(page, demo.url, admin.user_id, admin.password);
  await page.getByRole('link', { name: '设备' }).click();
  await page.getByRole('heading', { name: '设备与激活码' }).waitFor();
  const workerCell = page.getByRole('cell', { name: /^w-/ }).first();
  await workerCell.waitFor();
  const worker = (await workerCell.textContent()).trim();

  // An unknown account is refused in words, beside the form.
  await page.getByLabel(/为账号生成/).fill('nobody-here');
  await page.getByRole('button', { name: '生成', exact: true }).click();
  await page.getByRole('alert').waitFor();

  await page.getByLabel(/为账号生成/).fill(worker);
  await page.getByRole('button', { name: '生成', exact: true }).click();
  const code = (await page.locator('.code').textContent()).trim();
  assert.match(code, /^[2-9A-Z]{5}-[2-9A-Z]{5}$/);
  const qr = page.getByRole('img', { name: `激活二维码，激活码 ${code}` });
  await qr.waitFor();
  assert.ok((await qr.evaluate((img) => img.naturalWidth)) > 100, 'the QR code is drawn');
  assert.deepEqual(await accessibilityProblems(page), []);
  await screenshot(page, '06-devices-code.png');

  // The phone enrols with the code and syncs.
  const enrolled = await phoneCall('/activate', { code, device_id: 'console-test-phone', device_name: '测试手机' });
  assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));
  const token = enrolled.body.token;
  assert.equal((await phoneCall('/sync/pull', { cursor: null, limit: 10 }, token)).status, 200);

  // The administrator revokes it.
  await page.reload();
  const row = page.getByRole('row').filter({ hasText: 'console-test-phone' });
  await row.getByRole('button', { name: '停用 测试手机' }).click();
  await row.getByRole('button', { name: '确认停用' }).click();
  await row.getByText(/已停用/).waitFor();
  await screenshot(page, '07-devices-revoked.png');

  const refused = await phoneCall('/sync/pull', { cursor: null, limit: 10 }, token);
  assert.equal(refused.status, 401);
  assert.equal(refused.body.code, 'device_revoked');
  assert.equal(refused.body.wipe, true);
  await page.context().close();
});

test('a secretary has no devices page and the server refuses her the API', async () => {
  const me = demo.who('village_secretary');
  const page = await newPage(browser);
  await signIn(page, demo.url, me.user_id, me.password);
  await page.getByRole('heading', { name: '事件看板' }).waitFor();
  assert.equal(await page.getByRole('link', { name: '设备' }).count(), 0);
  const status = await page.evaluate(async () => (await fetch('/console/api/devices')).status);
  assert.equal(status, 403);
  await page.context().close();
});
