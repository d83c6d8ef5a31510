// zhima's browser test harness: one headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core; nothing is downloaded), driven by JSON lines.
//
//   node browser/harness.mjs            (env: ZHIMA_BROWSER_ARTIFACTS = screenshot directory,
//                                             ZHIMA_CHROMIUM = browser binary, default /usr/bin/chromium)
//
// Each stdin line is one session: {"name": "card", "width": 375, "steps": [...]}, run in a
// fresh browser context (no cookies shared between sessions); each stdout line is its result:
// {"ok": bool, "errors": [...], "steps": [...]}. Steps, in order:
//
//   {"goto": URL, "status": 200}          load a page; its HTTP status must be `status` (default 200)
//   {"click": CSS, "status": 200}         click and wait for the navigation it starts
//   {"fill": CSS, "value": TEXT}          type into a field
//   {"extract": {KEY: CSS, ...}}          → {"texts": {KEY: [trimmed textContent of each match]}}
//   {"attrs": {KEY: [CSS, ATTR]}}         → {"attrs": {KEY: [attribute of each match]}}
//   {"screenshot": NAME, "widths": [375, 1280]}
//                                         full-page PNGs NAME-<width>.png in the artifact dir
//
// Whatever the steps, a session fails (ok: false, errors say why) on any console error, page
// error (uncaught exception), dialog (alert/confirm: an injected script ran), failed request,
// or a response >= 400 for anything but a navigation whose expected status says so (a 403
// page is the expected exception: Chromium logs its status as a console error, which is
// accepted only for that document).
import { createInterface } from 'node:readline';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const executablePath = process.env.ZHIMA_CHROMIUM || '/usr/bin/chromium';
const artifacts = process.env.ZHIMA_BROWSER_ARTIFACTS || 'browser-artifacts';
mkdirSync(artifacts, { recursive: true });

const STEP_TIMEOUT_MS = 20000;

const browser = await chromium.launch({
  executablePath,
  headless: true,
  // Containers run as root without user namespaces; the GPU is of no use headless.
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
});

async function runSession(spec) {
  const width = spec.width || 375;
  const context = await browser.newContext({
    viewport: { width, height: spec.height || 812 },
    deviceScaleFactor: spec.scale || 2,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const errors = [];
  const consoleErrors = [];
  // Documents whose error status was expected: url → status.
  const expectedDocs = new Map();
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      consoleErrors.push({ text: msg.text(), url: msg.location().url || '' });
    }
  });
  page.on('pageerror', (e) => errors.push(`uncaught exception: ${e.message}`));
  page.on('dialog', async (d) => {
    errors.push(`dialog opened (${d.type()}): ${d.message()}`);
    await d.dismiss().catch(() => {});
  });
  page.on('requestfailed', (r) => {
    errors.push(`request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    const status = r.status();
    if (status < 400) return;
    const isDoc = r.request().isNavigationRequest() && r.frame() === page.mainFrame();
    if (isDoc && expectedDocs.get(r.url()) === status) return;
    errors.push(`HTTP ${status} for ${r.request().resourceType()} ${r.url()}`);
  });

  const results = [];
  // Navigations may answer with an error status on purpose: remember which.
  const expectNavigation = (url, status) => {
    if (status >= 400) expectedDocs.set(url, status);
  };
  try {
    for (const step of spec.steps || []) {
      if (step.goto !== undefined) {
        const want = step.status ?? 200;
        expectNavigation(new URL(step.goto).href, want);
        const resp = await page.goto(step.goto, { waitUntil: 'load' });
        const got = resp ? resp.status() : 0;
        if (got !== want) errors.push(`goto ${step.goto}: HTTP ${got}, expected ${want}`);
        results.push({ status: got, url: page.url() });
      } else if (step.click !== undefined) {
        const want = step.status ?? 200;
        const [resp] = await Promise.all([
          page.waitForNavigation({ waitUntil: 'load' }),
          page.click(step.click),
        ]);
        const got = resp ? resp.status() : 0;
        if (got !== want) errors.push(`click ${step.click}: HTTP ${got}, expected ${want}`);
        results.push({ status: got, url: page.url() });
      } else if (step.fill !== undefined) {
        await page.fill(step.fill, step.value ?? '');
        results.push({});
      } else if (step.extract !== undefined) {
        const texts = {};
        for (const [key, css] of Object.entries(step.extract)) {
          texts[key] = await page.$$eval(css, (els) => els.map((e) => e.textContent.trim()));
        }
        results.push({ texts });
      } else if (step.attrs !== undefined) {
        const attrs = {};
        for (const [key, [css, attr]] of Object.entries(step.attrs)) {
          attrs[key] = await page.$$eval(css, (els, a) => els.map((e) => e.getAttribute(a)), attr);
        }
        results.push({ attrs });
      } else if (step.screenshot !== undefined) {
        const paths = [];
        for (const w of step.widths || [width]) {
          await page.setViewportSize({ width: w, height: spec.height || 812 });
          const path = join(artifacts, `${step.screenshot}-${w}.png`);
          await page.screenshot({ path, fullPage: true });
          paths.push(path);
        }
        await page.setViewportSize({ width, height: spec.height || 812 });
        results.push({ paths });
      } else {
        throw new Error(`unknown step ${JSON.stringify(step)}`);
      }
    }
    // Late console messages (e.g. a favicon fetched after load) get a moment to arrive.
    await page.waitForTimeout(spec.settle_ms ?? 300);
  } catch (e) {
    errors.push(`step failed: ${e.message}`);
  }
  for (const c of consoleErrors) {
    const status = expectedDocs.get(c.url);
    const expected = status !== undefined && c.text.includes(`status of ${status}`);
    if (!expected) errors.push(`console error: ${c.text}${c.url ? ` (${c.url})` : ''}`);
  }
  await context.close();
  return { ok: errors.length === 0, errors, steps: results };
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  let out;
  try {
    out = await runSession(JSON.parse(line));
  } catch (e) {
    out = { ok: false, errors: [`harness: ${e.message}`], steps: [] };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}
await browser.close();
