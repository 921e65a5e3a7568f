// What every console browser test needs: the `--small` demo city served by
// a real `gridwork demo --serve` (the binary the suite built), its sign-ins,
// Debian's Chromium driven by playwright-core, axe-core for accessibility,
// and screenshots at 1440×900 for docs/screenshots/console/.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

const root = resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);
export const shots = join(root, 'docs/screenshots/console');

/** The demo city on loopback; resolves once the console's address is printed. */
export async function startDemo() {
  const bin = process.env.GRIDWORK_BIN ?? join(root, 'target/debug/gridwork');
  const dir = mkdtempSync(join(tmpdir(), 'gridwork-console-'));
  const child = spawn(bin, ['demo', '--small', '--serve', '--port', '0', '--dir', join(dir, 'demo')], {
    env: { ...process.env, GRIDWORK_DEMO_NO_BARS: '1', RUST_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise((ok, fail) => {
    // Bounded: the small demo takes seconds; a minute means it is stuck.
    const timer = setTimeout(() => fail(new Error(`demo did not start:\n${out}`)), 120_000);
    child.stdout.on('data', (b) => {
      out += b;
      const m = out.match(/web console: (http:\/\/[^\s]+)\//);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    child.stderr.on('data', (b) => (out += b));
    child.on('exit', (code) => fail(new Error(`demo exited ${code}:\n${out}`)));
  });
  const signIns = JSON.parse(readFileSync(join(dir, 'demo', 'console-sign-ins.json'), 'utf8'));
  const who = (role) => {
    const s = signIns.find((x) => x.role === role);
    if (!s) throw new Error(`no ${role} in ${JSON.stringify(signIns)}`);
    return s;
  };
  return {
    url,
    dir,
    who,
    adminToken: readFileSync(join(dir, 'demo', 'admin-token'), 'utf8').trim(),
    stop() {
      child.kill('SIGINT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--lang=zh-CN', '--font-render-hinting=none'],
  });
}

/** A fresh browser profile (its own cookies), Chinese, 1440×900. */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    ...options,
  });
  const page = await context.newPage();
  // Anything the Content-Security-Policy blocked (an inline style or script
  // a library tried) shows in the console: collected for the tests.
  page.cspViolations = [];
  // Uncaught script errors (a library throwing while drawing).
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) page.cspViolations.push(m.text());
  });
  return page;
}

/** From any page, the case board. */
export async function openCases(page) {
  await page.getByRole('link', { name: '事件', exact: true }).click();
  await page.getByRole('heading', { name: '事件看板' }).waitFor();
}

export async function signIn(page, url, account, password) {
  await page.goto(url + '/');
  await page.getByLabel('账号').fill(account);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: '登录', exact: true }).click();
}

export async function screenshot(page, name) {
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, name) });
}

/**
 * axe-core's serious and critical violations on the page as it is now.
 * The page's CSP forbids injected scripts, so this needs a context made
 * with `bypassCSP: true`.
 */
export async function accessibilityProblems(page) {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/**
 * One demo city and one browser for a test file: started before its tests,
 * stopped after them. Read `.demo` and `.browser` inside the tests.
 */
export function demoForTests() {
  const shared = { demo: null, browser: null };
  before(async () => {
    shared.demo = await startDemo();
    shared.browser = await startBrowser();
  });
  after(async () => {
    await shared.browser?.close();
    shared.demo?.stop();
  });
  return shared;
}
