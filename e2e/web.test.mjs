// Browser tests of the officers' web interface, in Debian's Chromium driven by playwright-core.
//
// Starts `cp247 demo` (three nodes on 127.0.0.1), reads the demo users' credentials from its
// output, signs in with the keyboard (password, then a TOTP code computed here), checks every
// page with axe-core (no serious or critical violation) and for CSP violations, switches
// the language, checks the 320 px layout, signs out, and saves screenshots under
// docs/screenshots/. Exit code 0 when every check passed.
//
// Environment: CP247_BIN (the cp247 binary; default target/debug/cp247), CHROMIUM (default
// /usr/bin/chromium), CP247_SCREENSHOTS=0 to skip writing screenshots.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { bin, check, credentials, failureCount, shot, startDemo, totp } from './demo.mjs';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

async function axeCheck(page, what) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(bad.length === 0, `axe: no serious or critical violation on ${what} ${JSON.stringify(bad)}`);
}

async function main() {
  const { child, out } = await startDemo();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox'],
  });
  try {
    const fr = credentials(out, 'FR', 'officer');
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1100, height: 760 } });
    const page = await context.newPage();
    const cspErrors = [];
    page.on('console', (m) => {
      if (m.text().includes('Content Security Policy')) cspErrors.push(m.text());
    });

    // Sign-in page, English by Accept-Language.
    await page.goto(`${fr.url}/`);
    check((await page.getAttribute('html', 'lang')) === 'en', 'sign-in page in English before sign-in');
    await axeCheck(page, 'the sign-in page');
    await shot(page, 'sign-in-en');

    // Keyboard only: skip link, then the fields in order.
    await page.keyboard.press('Tab');
    check(await page.evaluate(() => document.activeElement?.classList.contains('skip')), 'the first Tab reaches the skip link');
    await page.focus('#username');
    await page.keyboard.type(fr.username);
    await page.keyboard.press('Tab');
    await page.keyboard.type(fr.password);
    await page.keyboard.press('Enter');
    await page.waitForURL('**/sign-in/code');
    await axeCheck(page, 'the second-factor page');
    await page.focus('#code');
    await page.keyboard.type(totp(fr.secret));
    await page.keyboard.press('Enter');
    await page.waitForURL('**/inbox');
    check(true, 'signed in with password and TOTP');
    const inbox = await page.textContent('main');
    check(/urgent|routine|emergency/.test(inbox), 'the inbox lists the demo requests');
    await axeCheck(page, 'the inbox');
    await shot(page, 'inbox-en');

    // A case with a reply allowed now and that reply's composer; a problem shown at its field.
    const caseLinks = await page.$$eval('main a[href^="/cases/"]', (as) => as.map((a) => a.getAttribute('href')));
    let composer = null;
    let caseUrl = null;
    for (const href of caseLinks) {
      await page.goto(`${fr.url}${href}`);
      const action = await page.$('ul.actions a');
      if (action) {
        composer = await action.getAttribute('href');
        caseUrl = page.url();
        break;
      }
    }
    check(composer !== null, 'a case page links a reply composer');
    if (composer) {
      await axeCheck(page, 'the case page');
      await shot(page, 'case-en');
      await page.goto(`${fr.url}${composer}`);
      check((await page.textContent('main')).includes('Europe/'), 'times are typed in a named zone');
      await axeCheck(page, 'the reply composer');
      await shot(page, 'reply-en');
      // Every text field emptied: each problem is shown at its field, and nothing is sent.
      for (const el of await page.$$('.composer input[type=text], .composer textarea')) await el.fill('');
      await page.click('p.send button');
      await page.waitForLoadState();
      check((await page.$('.field-errors')) !== null && (await page.$('#problems')) !== null, 'problems are shown at their fields');
      await axeCheck(page, 'the reply composer with problems');
      await shot(page, 'reply-problems-en');
    }

    await page.goto(`${fr.url}/inbox`);
    await page.click('a[href="/directory"]');
    await page.waitForURL('**/directory');
    check((await page.textContent('main')).includes('Europe/Chisinau'), 'the directory shows zones');
    await axeCheck(page, 'the directory');
    await shot(page, 'directory-en');

    // The API tokens page: a token of the officer's own account, shown once, then revoked.
    await page.click('a[href="/tokens"]');
    await page.waitForURL('**/tokens');
    await page.fill('#token-name', 'e2e-laptop');
    await page.click('form[action="/tokens"] button');
    await page.waitForSelector('#new-token');
    check((await page.textContent('#new-token')).startsWith('cp247_'), 'the tokens page shows a new token once');
    await axeCheck(page, 'the tokens page');
    await page.click('form[action="/tokens/revoke"] button');
    await page.waitForSelector('td:has-text("Revoked on")');
    check((await page.$('#new-token')) === null, 'the token is not shown again');
    await page.goto(`${fr.url}/directory`);

    // The request composer: reached from the directory, pre-filled, checked by axe; sending
    // the untouched form shows the problems next to their fields with a summary on top.
    await page.click('a[href="/compose?to=MD"]');
    await page.waitForURL('**/compose?to=MD');
    await page.selectOption('#choose-kind', 'art29');
    await page.click('form.chooser button');
    await page.waitForURL('**/compose?**');
    check((await page.inputValue('#f-requested_authority--party')) === 'MD', 'the composer is addressed to MD');
    check((await page.textContent('main')).includes('Europe/Chisinau'), 'the composer shows the requested Party\'s zone');
    await axeCheck(page, 'the composer');
    await shot(page, 'compose-en');
    await page.click('form.composer button[value="add:offences"]');
    await page.waitForSelector('#f-offences-1--name');
    check(true, 'a list grows with a plain button');
    await page.click('form.composer button[value="send"]');
    await page.waitForSelector('.problems');
    check(await page.isVisible('#f-summary_of_facts[aria-invalid="true"]'), 'a problem is shown at its field');
    await axeCheck(page, 'the composer with problems');
    await shot(page, 'compose-problems-en');

    // French, remembered on the account.
    await page.selectOption('#lang-choice', 'fr');
    await page.click('form.lang button');
    await page.waitForURL('**/inbox');
    check((await page.getAttribute('html', 'lang')) === 'fr', 'the inbox in French after the choice');
    check((await page.textContent('h1')).includes('Boîte de réception'), 'French labels');
    await axeCheck(page, 'the French inbox');
    await shot(page, 'inbox-fr');
    if (caseUrl) {
      // The same composer in French.
      await page.goto(caseUrl);
      const next = await page.$('ul.actions a');
      check(next !== null, 'the case still offers its replies');
      if (next) {
        await page.goto(`${fr.url}${await next.getAttribute('href')}`);
        check((await page.getAttribute('html', 'lang')) === 'fr', 'the composer in French');
        await axeCheck(page, 'a French reply composer');
        await shot(page, 'reply-fr');
      }
    }
    await page.goto(`${fr.url}/directory`);
    check((await page.textContent('h1')).includes('Annuaire'), 'the choice is remembered across pages');
    await shot(page, 'directory-fr');
    await page.goto(`${fr.url}/compose?kind=art29&to=MD`);
    check((await page.textContent('h1')).includes('Nouvelle demande'), 'the composer in French');
    await page.click('form.composer button[value="send"]');
    await page.waitForSelector('.problems');
    await axeCheck(page, 'the French composer with problems');
    await shot(page, 'compose-problems-fr');

    // 320 px wide: nothing wider than the window (tables scroll inside their region).
    await page.setViewportSize({ width: 320, height: 700 });
    await page.goto(`${fr.url}/inbox`);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    check(width <= 320, `usable at 320 px (page width ${width})`);
    await shot(page, 'inbox-fr-320');
    await page.goto(`${fr.url}/compose?kind=art29&to=MD`);
    const composeWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    check(composeWidth <= 320, `the composer is usable at 320 px (page width ${composeWidth})`);

    // Visible focus: the focused element has an outline.
    await page.focus('form.signout button');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    check(outline !== 'none', `visible focus (outline ${outline})`);

    // Sign out; the inbox is then closed.
    await page.click('form.signout button');
    await page.goto(`${fr.url}/inbox`);
    check(new URL(page.url()).pathname === '/', 'after sign-out the inbox sends to the sign-in page');
    check(cspErrors.length === 0, `no CSP violation ${JSON.stringify(cspErrors)}`);

    // French before sign-in, from Accept-Language.
    const frContext = await browser.newContext({ locale: 'fr-FR' });
    const frPage = await frContext.newPage();
    await frPage.goto(`${fr.url}/`);
    check((await frPage.getAttribute('html', 'lang')) === 'fr', 'sign-in page in French for a French browser');
    await shot(frPage, 'sign-in-fr');
  } finally {
    await browser.close();
    child.kill('SIGINT');
    await new Promise((r) => child.on('exit', r));
  }
  if (failureCount() > 0) {
    console.log(`${failureCount()} check(s) failed`);
    process.exit(1);
  }
  console.log('all browser checks passed');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
