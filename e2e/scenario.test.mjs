// The officers' scenario across two demo nodes, in Debian's Chromium driven by playwright-core:
//
//   FR officer signs in (password + TOTP) → composes an Art. 29 preservation request to MD in
//   the request composer and sends it → the request arrives in MD's inbox → the MD officer
//   signs in, opens the case, acknowledges it and replies "preservation confirmed" with a
//   preserved-until date → FR's case page shows the preservation and its expiry as a deadline.
//
// The composer is filled the way a browser user would leave it, through the page's own
// inputs: the Art. 29 example document (`cp247 form example art29`) is turned into the
// composer's input names (field paths; `P~n` list sizes, `P~` not-applicable/unknown choices,
// `P~reason`, `P~<value>` check boxes), written into the form, and the form's own "update"
// button re-renders it until every list has its inputs; then the officer presses "Send".
//
// Environment: CP247_BIN (default target/debug/cp247), CHROMIUM (default /usr/bin/chromium),
// CP247_SCREENSHOTS=0 to skip writing screenshots.

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { bin, check, credentials, failureCount, saveShots, shot, shots, startDemo, totp } from './demo.mjs';

// Signs in with the keyboard; a TOTP code is accepted once per 30 s step, so when the step of
// the previous sign-in is still current the code of the next step is awaited.
const usedSteps = new Set();
async function signIn(page, who) {
  await page.goto(`${who.url}/`);
  await page.fill('#username', who.username);
  await page.fill('#password', who.password);
  await page.keyboard.press('Enter');
  await page.waitForURL('**/sign-in/code');
  let step = Math.floor(Date.now() / 30_000);
  while (usedSteps.has(`${who.url}:${step}`)) {
    await page.waitForTimeout(1000);
    step = Math.floor(Date.now() / 30_000);
  }
  usedSteps.add(`${who.url}:${step}`);
  await page.fill('#code', totp(who.secret));
  await page.keyboard.press('Enter');
  await page.waitForURL('**/inbox');
}

// The composer's input names for a document (see the comment at the top).
function draftOf(value, path, hasCheckboxes, out) {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const which of ['not_applicable', 'unknown']) {
      if (value[which] && Object.keys(value).length === 1) {
        out[`${path}~`] = which;
        out[`${path}~reason`] = value[which].reason;
        return out;
      }
    }
    for (const [k, v] of Object.entries(value)) draftOf(v, path ? `${path}.${k}` : k, hasCheckboxes, out);
  } else if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string') && hasCheckboxes(path)) {
      for (const v of value) out[`${path}~${v}`] = 'on';
    } else {
      out[`${path}~n`] = String(value.length);
      value.forEach((v, i) => draftOf(v, `${path}[${i}]`, hasCheckboxes, out));
    }
  } else if (value !== null && value !== undefined) {
    out[path] = String(value);
  }
  return out;
}

// Writes the draft into the composer's form (the inputs it has; hidden ones for list sizes it
// does not show yet) and presses the form's "update" button, which re-renders it.
async function fillComposer(page, document) {
  for (let round = 0; round < 6; round += 1) {
    const names = new Set(await page.$$eval('form.composer [name]', (els) => els.map((e) => e.name)));
    const checkboxPaths = new Set(
      await page.$$eval('form.composer input[type=checkbox]', (els) => els.map((e) => e.name.split('~')[0])),
    );
    const draft = draftOf(document, '', (p) => checkboxPaths.has(p), {});
    // `kind` is the composer's own choice, not an input.
    const missing = Object.keys(draft).filter((k) => k !== 'kind' && !names.has(k) && !k.includes('~'));
    await page.evaluate((entries) => {
      const form = document.querySelector('form.composer');
      for (const [name, value] of entries) {
        const els = [...form.querySelectorAll('[name]')].filter((e) => e.name === name);
        if (els.length === 0) {
          const hidden = document.createElement('input');
          hidden.type = 'hidden';
          hidden.name = name;
          hidden.value = value;
          form.appendChild(hidden);
          continue;
        }
        for (const el of els) {
          if (el.type === 'radio') el.checked = el.value === value;
          else if (el.type === 'checkbox') el.checked = true;
          else el.value = value;
        }
      }
    }, Object.entries(draft));
    if (round > 0 && missing.length === 0) return true;
    if (round === 5) console.log(`not in the form: ${missing.join(', ')}`);
    await Promise.all([page.waitForNavigation(), page.click('form.composer p.submit button[value="refresh"]')]);
    await page.waitForSelector('form.composer');
  }
  return false;
}

async function main() {
  const example = JSON.parse(execFileSync(bin, ['form', 'example', 'art29'], { encoding: 'utf8' }));
  const { child, out } = await startDemo();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox'],
  });
  try {
    const fr = credentials(out, 'FR', 'officer');
    const md = credentials(out, 'MD', 'officer');
    const frPage = await (await browser.newContext({ locale: 'en-GB', viewport: { width: 1100, height: 800 } })).newPage();
    const mdPage = await (await browser.newContext({ locale: 'fr-FR', viewport: { width: 1100, height: 800 } })).newPage();

    // 1. FR: sign in with TOTP, compose the Art. 29 request to MD, send it.
    await signIn(frPage, fr);
    check(true, 'FR officer signed in with password and TOTP');
    await frPage.goto(`${fr.url}/compose?kind=art29&to=MD`);
    await frPage.waitForSelector('form.composer');
    check(await fillComposer(frPage, example), 'the composer holds every item of the Art. 29 request');
    await Promise.all([frPage.waitForNavigation(), frPage.click('form.composer p.submit button[value="send"]')]);
    if (!/\/cases\//.test(frPage.url()) && (await frPage.$('#accept-warnings'))) {
      // Warnings (not errors) need the officer's explicit confirmation.
      await frPage.check('#accept-warnings');
      await Promise.all([frPage.waitForNavigation(), frPage.click('form.composer p.submit button[value="send"]')]);
    }
    await frPage.waitForURL(/\/cases\/FR-\d{4}-[A-Z0-9]+/, { timeout: 30_000 }).catch(() => {});
    const match = frPage.url().match(/\/cases\/(FR-\d{4}-[A-Z0-9]+)/);
    if (!check(match !== null, `the request was sent and FR shows its case page (${frPage.url()})`)) {
      console.log((await frPage.textContent('main')).slice(0, 2000));
      return;
    }
    const ticket = match[1];
    await shot(frPage, 'scenario-fr-sent-en');

    // 2. MD: the request arrives in the inbox.
    await signIn(mdPage, md);
    check(true, 'MD officer signed in with password and TOTP');
    // The composer in French (the top of the page, as the officer first sees it).
    await mdPage.goto(`${md.url}/compose?kind=art29&to=FR`);
    await mdPage.waitForSelector('form.composer');
    check((await mdPage.textContent('main')).includes('Europe/Paris'), 'the French composer shows the requested Party\'s zone');
    if (saveShots) await mdPage.screenshot({ path: join(shots, 'compose-fr.png') });
    let arrived = false;
    for (let i = 0; i < 60 && !arrived; i += 1) {
      await mdPage.goto(`${md.url}/inbox`);
      arrived = (await mdPage.$(`main a[href="/cases/${ticket}"]`)) !== null;
      if (!arrived) await mdPage.waitForTimeout(1000);
    }
    check(arrived, `${ticket} arrived in MD's inbox`);
    await shot(mdPage, 'scenario-md-inbox-fr');

    // 3. MD: acknowledge.
    await mdPage.click(`main a[href="/cases/${ticket}"]`);
    await mdPage.waitForURL(`**/cases/${ticket}`);
    const ack = `/cases/${ticket}/replies/acknowledgement`;
    check((await mdPage.$(`ul.actions a[href="${ack}"]`)) !== null, 'MD may acknowledge the request');
    await mdPage.click(`ul.actions a[href="${ack}"]`);
    await mdPage.waitForURL(`**${ack}`);
    await Promise.all([mdPage.waitForNavigation(), mdPage.click('p.send button')]);
    await mdPage.waitForURL(`**/cases/${ticket}?sent=acknowledgement`);
    check(true, 'MD acknowledged the request');

    // 4. MD: preservation confirmed, preserved until a date at least 60 days away.
    const confirm = `/cases/${ticket}/replies/preservation_confirmed`;
    check((await mdPage.$(`ul.actions a[href="${confirm}"]`)) !== null, 'MD may confirm the preservation');
    await mdPage.click(`ul.actions a[href="${confirm}"]`);
    await mdPage.waitForURL(`**${confirm}`);
    const until = new Date(Date.now() + 90 * 86_400_000);
    const untilDate = until.toISOString().slice(0, 10);
    for (const input of await mdPage.$$('form.composer input[name$="preserved_until"]')) {
      const type = await input.getAttribute('type');
      await input.fill(type === 'date' ? untilDate : `${untilDate}T12:00`);
    }
    // What the officer at MD knows of the provider: its name; the rest is unknown, said so
    // with a reason, and there are no remarks.
    await mdPage.evaluate(() => {
      const form = document.querySelector('form.composer');
      const named = (name) => [...form.querySelectorAll('[name]')].find((e) => e.name === name);
      for (const input of form.querySelectorAll('input[type=text]')) {
        if (/providers\[\d+\]\.name$/.test(input.name) && input.value === '') input.value = 'Exemple Hébergement SARL';
      }
      const radios = [...form.querySelectorAll('input[type=radio]')].filter((r) => r.name.endsWith('~mode'));
      for (const group of new Set(radios.map((r) => r.name))) {
        const path = group.slice(0, -'~mode'.length);
        const options = radios.filter((r) => r.name === group);
        let chosen = options.find((r) => r.checked);
        const value = named(path);
        if (chosen && chosen.value === 'value' && value && value.value === '') {
          chosen = options.find((r) => r.value === 'unknown') || options.find((r) => r.value === 'not_applicable');
          if (chosen) chosen.checked = true;
        }
        const reason = named(`${path}~reason`);
        if (chosen && chosen.value !== 'value' && reason && reason.value === '') {
          reason.value = chosen.value === 'unknown'
            ? 'Le fournisseur ne l\'a pas communiqué à la date de cette réponse.'
            : 'Rien à ajouter à cette confirmation de conservation.';
        }
      }
    });
    await shot(mdPage, 'scenario-md-preservation-fr');
    await Promise.all([mdPage.waitForNavigation(), mdPage.click('p.send button')]);
    const sent = mdPage.url().includes('sent=preservation_confirmed');
    if (!check(sent, 'MD confirmed the preservation')) {
      const problems = await mdPage.$$eval('#problems, .field-errors, .problems, .error, [role=alert]', (els) => els.map((e) => e.textContent.trim()));
      console.log(`problems: ${problems.join(' | ')}`);
      console.log(await mdPage.$$eval('[aria-invalid=true]', (els) => els.map((e) => e.name).join(', ')));
      console.log((await mdPage.textContent('main')).replace(/\s+/g, ' ').slice(0, 1500));
    }

    // The case page at MD, in French.
    await mdPage.goto(`${md.url}/cases/${ticket}`);
    check((await mdPage.getAttribute('html', 'lang')) === 'fr', 'MD\'s case page is in French');
    await shot(mdPage, 'case-fr');

    // 5. FR: the preservation and its expiry appear on the case page as a deadline.
    let seen = false;
    for (let i = 0; i < 60 && !seen; i += 1) {
      await frPage.goto(`${fr.url}/cases/${ticket}`);
      const text = await frPage.textContent('main');
      seen = text.includes(untilDate) || text.includes(until.toLocaleDateString('en-GB'));
      if (!seen) await frPage.waitForTimeout(1000);
    }
    check(seen, `FR's case page shows the preservation until ${untilDate}`);
    const dueText = await frPage.textContent('main');
    check(/preserv/i.test(dueText), 'the deadline is named as the preservation');
    await shot(frPage, 'scenario-fr-deadline-en');
  } finally {
    await browser.close();
    child.kill('SIGINT');
  }
}

main()
  .then(() => {
    console.log(failureCount() === 0 ? 'scenario: every check passed' : `scenario: ${failureCount()} check(s) failed`);
    process.exit(failureCount() === 0 ? 0 : 1);
  })
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
