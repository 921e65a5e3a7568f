// Sign-in in the browser: wrong passwords count down and then lock the
// account with the minutes to wait; grid workers are sent to the phone app;
// signing out everywhere ends another browser's session; the page carries
// its security headers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newPage, screenshot, signIn, demoForTests } from './harness.mjs';

const city = demoForTests();

test('the page is served with a strict Content-Security-Policy', async () => {
  const resp = await fetch(city.demo.url + '/');
  assert.equal(resp.status, 200);
  const csp = resp.headers.get('content-security-policy');
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(resp.headers.get('x-content-type-options'), 'nosniff');
  assert.match(await resp.text(), /<div id="app">/);
});

test('five wrong passwords lock the account and the page says for how long', async () => {
  const me = city.demo.who('city_supervisor');
  const page = await newPage(city.browser);
  for (let left = 4; left >= 1; left--) {
    await signIn(page, city.demo.url, me.user_id, '不是这个密码不是这个');
    await page.getByRole('alert').filter({ hasText: `还可尝试 ${left} 次` }).waitFor();
  }
  await signIn(page, city.demo.url, me.user_id, '不是这个密码不是这个');
  await page.getByRole('alert').filter({ hasText: '登录已锁定，请 15 分钟后再试' }).waitFor();
  // The right password waits too.
  await signIn(page, city.demo.url, me.user_id, me.password);
  await page.getByRole('alert').filter({ hasText: '登录已锁定' }).waitFor();
  await screenshot(page, '05-sign-in-locked.png');
  assert.equal(await page.getByRole('button', { name: '退出登录' }).count(), 0, 'not signed in');
  await page.context().close();
});

test('signing out everywhere ends the session in another browser', async () => {
  const me = city.demo.who('township_supervisor');
  const office = await newPage(city.browser);
  const home = await newPage(city.browser);
  for (const p of [office, home]) {
    await signIn(p, city.demo.url, me.user_id, me.password);
    await p.getByRole('button', { name: '退出登录' }).waitFor();
  }
  await office.getByRole('button', { name: '在所有设备上退出' }).click();
  await office.getByRole('heading', { name: '登录指挥中心' }).waitFor();
  await home.reload();
  await home.getByRole('heading', { name: '登录指挥中心' }).waitFor();
  await office.context().close();
  await home.context().close();
});
