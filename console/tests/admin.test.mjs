// The administrator in the browser: makes an activation code for a grid
// worker (code and QR code on screen), a phone enrols with it over the
// sync protocol, and once the administrator revokes that device the
// phone's next sync is refused with the instruction to wipe.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessibilityProblems, newPage, screenshot, signIn, demoForTests } from './harness.mjs';

const city = demoForTests();

/** A phone speaking the sync protocol (what the apps' core does). */
async function phoneCall(path, body, token) {
  const headers = { 'content-type': 'application/json', 'x-gridwork-protocol': '1' };
  if (token) headers.authorization = `Bearer ${token}`;
  const resp = await fetch(`${city.demo.url}/v1${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: resp.status, body: await resp.json() };
}

test('a code for a worker enrols a phone, and a revoked phone is refused and told to wipe', async () => {
  const admin = city.demo.who('administrator');
  const page = await newPage(city.browser, { bypassCSP: true });
  await signIn(page, city.demo.url, admin.user_id, admin.password);
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
  const me = city.demo.who('village_secretary');
  const page = await newPage(city.browser);
  await signIn(page, city.demo.url, me.user_id, me.password);
  await page.getByRole('button', { name: '退出登录' }).waitFor();
  assert.equal(await page.getByRole('link', { name: '设备' }).count(), 0);
  const status = await page.evaluate(async () => (await fetch('/console/api/devices')).status);
  assert.equal(status, 403);
  await page.context().close();
});

test('an import with one bad row is previewed with its line and field, then the good rows are saved', async () => {
  const admin = city.demo.who('administrator');
  // Households and places on the server, as the administrator's report counts them.
  const registered = async () => {
    const r = await fetch(`${city.demo.url}/v1/admin/report`, {
      headers: { authorization: `Bearer ${city.demo.adminToken}`, 'x-gridwork-protocol': '1' },
    });
    const { figures } = await r.json();
    return figures.households + figures.places;
  };
  const before = await registered();
  const page = await newPage(city.browser, { bypassCSP: true });
  await signIn(page, city.demo.url, admin.user_id, admin.password);
  await page.getByRole('link', { name: '导入导出' }).click();
  await page.getByRole('heading', { name: '导入' }).waitFor();
  await page.getByLabel('导入内容').selectOption('households');
  const csv = [
    '户编码,网格编码,类型,户主,地址,经度,纬度,标签',
    'H-CONSOLE-1,440399-001-001-01,住户,周大爷,示范村8号,113.903,22.503,独居老人',
    'H-CONSOLE-2,NO-SUCH-GRID,住户,吴阿姨,示范村9号,113.904,22.504,',
    'H-CONSOLE-3,440399-001-001-01,商铺,好又多超市,示范村10号,113.905,22.505,',
  ].join('\n');
  await page.getByLabel('文件').setInputFiles({ name: 'households.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: '预览（不保存）' }).click();
  await page.getByText('共读取 3 行：2 行可导入，1 处有误。尚未保存任何数据。').waitFor();
  const bad = page.getByRole('row').filter({ hasText: 'grid_code' });
  assert.equal(await bad.getByRole('cell').first().textContent(), '3', 'line 3 of the file');
  assert.match(await bad.textContent(), /NO-SUCH-GRID/);
  assert.equal(await page.getByRole('button', { name: '全部正确才导入' }).isDisabled(), true);
  assert.deepEqual(await accessibilityProblems(page), []);
  await screenshot(page, '11-import-preview.png');

  // The preview saved nothing.
  assert.equal(await registered(), before);

  await page.getByRole('button', { name: '导入正确的行' }).click();
  await page.getByText('已导入 2 行，1 处有误未导入。').waitFor();
  assert.equal(await registered(), before + 2, 'the household and the shop');
  await page.context().close();

  const anonymous = await fetch(`${city.demo.url}/console/api/import/households?mode=preview`, { method: 'POST' });
  assert.equal(anonymous.status, 401, 'the console API needs a session');
});

/** The first member id in a pull page, searched through the JSON. */
function firstMember(value) {
  if (value && typeof value === 'object') {
    if (value.kind === 'member' && value.member?.id) return value.member.id;
    for (const v of Object.values(value)) {
      const found = firstMember(v);
      if (found) return found;
    }
  }
  return null;
}

test('the audit trail shows a worker revealing a phone number, with the reason, and the administrator’s own actions', async () => {
  const admin = city.demo.who('administrator');
  // A worker's phone reveals a member's phone number, for a reason.
  const worker = 'w-440399-001-001-01-1';
  const { code } = await (
    await fetch(`${city.demo.url}/v1/admin/activation-codes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${city.demo.adminToken}`, 'x-gridwork-protocol': '1', 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: worker }),
    })
  ).json();
  const { token } = (await phoneCall('/activate', { code, device_id: 'audit-phone', device_name: '审计测试手机' })).body;
  let member = null;
  let cursor = null;
  for (let page = 0; page < 50 && !member; page++) {
    const pulled = await phoneCall('/sync/pull', { cursor, limit: 500 }, token);
    member = firstMember(pulled.body.changes);
    cursor = pulled.body.cursor;
    if (!pulled.body.more) break;
  }
  assert.ok(member, 'the worker has members in reach');
  const revealed = await phoneCall(`/members/${member}/reveal`, { field: 'phone', reason: '回访核实身份' }, token);
  assert.equal(revealed.status, 200, JSON.stringify(revealed.body));

  const page = await newPage(city.browser, { bypassCSP: true });
  await signIn(page, city.demo.url, admin.user_id, admin.password);
  await page.getByRole('link', { name: '审计' }).click();
  await page.getByRole('heading', { name: '审计记录' }).waitFor();
  // The administrator's own sign-in is the newest line of the server's.
  await page.getByRole('row').filter({ hasText: '登录指挥中心' }).first().waitFor();
  await page.getByLabel('只看查看完整号码').check();
  // The sign-in lines leave once the filtered page arrives (bounded wait).
  await page.getByRole('row').filter({ hasText: '登录指挥中心' }).first().waitFor({ state: 'detached' });
  const reveal = page.getByRole('row').filter({ hasText: '回访核实身份' });
  await reveal.waitFor();
  assert.match(await reveal.textContent(), /查看完整号码/);
  assert.match(await reveal.textContent(), new RegExp(worker));
  assert.equal(await page.getByRole('row').filter({ hasText: '登录指挥中心' }).count(), 0, 'reveals only');
  assert.deepEqual(await accessibilityProblems(page), []);
  await screenshot(page, '12-audit-reveals.png');
  await page.getByLabel('只看查看完整号码').uncheck();
  await page.getByLabel('按账号筛选').fill(worker);
  await page.getByRole('button', { name: '确定' }).click();
  await reveal.waitFor();
  await page.context().close();
});

test('grids and people: who covers each grid, and the administrator assigns a backup worker', async () => {
  const admin = city.demo.who('administrator');
  const page = await newPage(city.browser, { bypassCSP: true });
  await signIn(page, city.demo.url, admin.user_id, admin.password);
  await page.getByRole('link', { name: '网格与人员' }).click();
  await page.getByRole('heading', { name: '网格与人员' }).waitFor();
  const grids = page.getByRole('table', { name: '网格及负责人' });
  assert.equal(await grids.getByRole('row').count(), 1 + 12, 'the small city has 12 grids');
  assert.equal(await grids.getByText('无人负责').count(), 0, 'every grid is covered');
  const people = page.getByRole('table', { name: '人员' });
  await people.getByRole('row').filter({ hasText: '市督导' }).first().waitFor();

  // A worker of grid 02 becomes the backup of grid 01 of the same village.
  const grid = '440399-001-001-01';
  const worker = 'w-440399-001-001-02-1';
  const row = grids.getByRole('row').filter({ hasText: grid });
  assert.equal(await row.getByText(worker).count(), 0);
  await page.getByLabel('网格', { exact: true }).selectOption(grid);
  await page.getByLabel('网格员账号').fill('nobody-here');
  await page.getByRole('button', { name: '安排', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'nobody-here' }).waitFor();
  await page.getByLabel('网格员账号').fill(worker);
  await page.getByLabel('类型').selectOption('backup');
  await page.getByRole('button', { name: '安排', exact: true }).click();
  await page.getByRole('status').filter({ hasText: `已安排：${worker}` }).waitFor();
  await row.getByText(worker).waitFor();
  assert.match(await row.textContent(), /备岗/);
  assert.deepEqual(await accessibilityProblems(page), []);
  await screenshot(page, '13-grids-and-people.png');
  await page.context().close();
});

test('the administrator gives a supervisor a console password, and the supervisor signs in with it', async () => {
  const admin = city.demo.who('administrator');
  const supervisor = city.demo.who('township_supervisor');
  const page = await newPage(city.browser, { bypassCSP: true });
  await signIn(page, city.demo.url, admin.user_id, admin.password);
  await page.getByRole('link', { name: '网格与人员' }).click();
  const people = page.getByRole('table', { name: '人员' });
  const row = people.getByRole('row').filter({ hasText: supervisor.user_id });
  await row.getByRole('button', { name: /设置指挥中心密码/ }).click();
  const field = row.getByLabel('设置密码（至少10个字符）');
  await field.fill('short');
  await row.getByRole('button', { name: '确定' }).click();
  await row.getByRole('alert').filter({ hasText: '至少10个字符' }).waitFor();
  await field.fill('街道督导的新密码2026');
  await row.getByRole('button', { name: '确定' }).click();
  await row.getByRole('status').filter({ hasText: '已为' }).waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.context().close();

  const theirs = await newPage(city.browser);
  await signIn(theirs, city.demo.url, supervisor.user_id, supervisor.password);
  await theirs.getByRole('alert').filter({ hasText: '账号或密码不正确' }).waitFor();
  await signIn(theirs, city.demo.url, supervisor.user_id, '街道督导的新密码2026');
  await theirs.getByRole('button', { name: '退出登录' }).waitFor();
  await theirs.context().close();
});
