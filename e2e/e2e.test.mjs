// End-to-end test in a real browser: Debian's Chromium, driven by playwright-core,
// against the Home Assistant that scripts/demo started (scripts/e2e starts it, runs
// this with `node --test`, and stops it).
//
// As a person would: log in, look at the demo's dashboard, add a second group
// ("Friends") through Settings > Devices & services > Add integration with the
// demo's second CalDAV login, add its two members through the "Add member" dialog,
// and find one member's event in the other's combined calendar in the calendar panel;
// then the same for the demo's Grandpa, whose calendars are Local Calendars.
// Screenshots of the dashboard, the setup dialog and the combined calendar go to
// $SCREENSHOTS; on a failure, a screenshot of the page goes to $E2E_ARTIFACTS.
//
// Selectors are roles and visible text (Playwright pierces Home Assistant's open
// shadow roots); dialog contents are found inside their dialog's element, as their
// text is slotted into shadow DOM that `getByRole('dialog')` does not contain.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const env = (name, fallback) => process.env[name] ?? fallback;
const HA_URL = env('HA_URL', 'http://127.0.0.1:8123');
const HA_USERNAME = env('HA_USERNAME', 'demo');
const HA_PASSWORD = env('HA_PASSWORD', 'demo');
const CALDAV_URL = env('CALDAV_URL', 'http://127.0.0.1:5232/');
const CALDAV_USERNAME = env('CALDAV_USERNAME', 'friends');
const CALDAV_PASSWORD = env('CALDAV_PASSWORD', 'friends');
const CHROMIUM = env('CHROMIUM', '/usr/bin/chromium');
const SCREENSHOTS = env('SCREENSHOTS', path.resolve(import.meta.dirname, '..', '.e2e', 'screenshots'));
const ARTIFACTS = env('E2E_ARTIFACTS', SCREENSHOTS);
const GROUP = 'Friends';
// The demo's Friends login: Dana's and Eli's calendars (scripts/demo_data.py).
const MEMBERS = [
  { name: 'Dana', source: /^Dana's calendar/, combined: /^Dana: everyone/ },
  { name: 'Eli', source: /^Eli's calendar/, combined: /^Eli: everyone/ },
];
const ELIS_EVENT = "Dinner at Eli's"; // today, in Eli's calendar
const DANAS_EVENT = 'Bouldering'; // every Monday, in Dana's calendar
// The Family group's Grandpa keeps his events in Local Calendars (scripts/demo_local.py).
const GRANDPAS_EVENT = 'Grandpa: Garden centre'; // tomorrow, in "Grandpa's calendar"
const GRANDPAS_COMBINED = 'Grandpa: everyone';
const ANNAS_EVENT = 'Anna: Dentist'; // in three days, in Anna's CalDAV calendar
const ROOM = /Meeting room Spree$/; // the Family group's room calendar entity
const ROOM_BOOKING = 'Sprint planning'; // tomorrow, in the meeting room's calendar

const SECOND = 1000;
let browser;
let page;
let failed = false;

/** Run a step; after a failed one, skip the rest (they build on each other). */
function step(name, body) {
  test(name, async (t) => {
    if (failed) {
      t.skip('an earlier step failed');
      return;
    }
    try {
      await body();
    } catch (error) {
      failed = true;
      const file = path.join(ARTIFACTS, `failure-${name.replaceAll(/\W+/g, '-')}.png`);
      await page?.screenshot({ path: file }).catch(() => {});
      console.error(`e2e: screenshot of the failure: ${file}`);
      throw error;
    }
  });
}

/** Retry `check` until it stops throwing; for what Home Assistant does in the background. */
async function eventually(what, check, timeout = 90 * SECOND) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`${what}: still failing after ${timeout / SECOND} s`, { cause: error });
      }
      await page.waitForTimeout(2 * SECOND);
    }
  }
}

/**
 * Choose `option` in the drop-down list that `opener` opens, until `chosen` shows.
 * The list animates open and closed; a click that lands while it does is lost,
 * more often on a busy machine.
 */
async function pick(dialog, opener, option, chosen) {
  const list = dialog.getByRole('listbox');
  await eventually(`choosing ${option}`, async () => {
    if ((await chosen.count()) === 0) {
      if (!(await list.isVisible())) await opener.click();
      await list.getByRole('option', { name: option }).click({ timeout: 5 * SECOND });
      await chosen.first().waitFor({ timeout: 5 * SECOND });
    }
    await list.waitFor({ state: 'hidden', timeout: 5 * SECOND });
  }, 60 * SECOND);
}

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  // The demo family lives in Berlin; Home Assistant's time zone is Europe/Berlin too.
  const context = await browser.newContext({
    viewport: { width: 1440, height: 1000 },
    locale: 'en-GB',
    timezoneId: 'Europe/Berlin',
  });
  context.setDefaultTimeout(30 * SECOND);
  context.setDefaultNavigationTimeout(60 * SECOND);
  page = await context.newPage();
});

after(async () => {
  await browser?.close();
});

step('logs in and shows the demo dashboard', async () => {
  await page.goto(HA_URL);
  await page.getByRole('textbox', { name: 'Username' }).fill(HA_USERNAME);
  await page.getByRole('textbox', { name: 'Password' }).fill(HA_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  // The demo made its dashboard the default panel.
  await page.waitForURL(/\/shared-calendars\//);
  await page.getByRole('heading', { name: 'Sync' }).waitFor();
  for (const member of ['Anna', 'Ben', 'Cleo', 'Grandpa']) {
    await page.getByRole('heading', { name: member }).waitFor();
  }
  // The combined calendars are filled: Anna's holds Ben's and Cleo's events.
  await eventually('the combined calendars show copies', async () => {
    assert.ok((await page.getByText(/^Ben: /).count()) > 0, 'no copy of an event of Ben');
    assert.ok((await page.getByText(/^Cleo: /).count()) > 0, 'no copy of an event of Cleo');
    assert.ok((await page.getByText(/^Grandpa: /).count()) > 0, 'no copy of an event of Grandpa');
  });
  await page.getByText('Sync now').waitFor();
  await page.setViewportSize({ width: 1440, height: 1100 });
  await page.waitForTimeout(2 * SECOND); // the calendar cards lay out again
  await page.screenshot({ path: path.join(SCREENSHOTS, 'dashboard.png') });
  await page.setViewportSize({ width: 1440, height: 1000 });
});

step('adds a group through Settings > Devices & services > Add integration', async () => {
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('link', { name: /^Devices & services/ }).click();
  await page.waitForURL(/\/config\/integrations/);
  await page.getByRole('button', { name: 'Add integration' }).click();
  const picker = page.locator('dialog-add-integration');
  await picker.getByRole('textbox').fill('Shared Calendars');
  await picker.getByRole('button', { name: 'Shared Calendars', exact: true }).click();

  const flow = page.locator('dialog-data-entry-flow');
  await flow.getByText('Create a sharing group').waitFor();
  await flow.getByRole('textbox', { name: 'Group name' }).fill(GROUP);
  await flow.getByRole('radio', { name: 'CalDAV account' }).check();
  await flow.getByRole('button', { name: 'Submit' }).click();

  await flow.getByText('Sign in to a CalDAV server').waitFor();
  await flow.getByRole('textbox', { name: /^URL/ }).fill(CALDAV_URL);
  await flow.getByRole('textbox', { name: 'Username' }).fill(CALDAV_USERNAME);
  await flow.getByRole('textbox', { name: 'Password' }).fill(CALDAV_PASSWORD);
  await page.waitForTimeout(SECOND); // the floating labels settle
  await page.screenshot({ path: path.join(SCREENSHOTS, 'setup-dialog.png') });
  await flow.getByRole('button', { name: 'Submit' }).click();

  // Signed in, listed the calendars, created the group; its device can get an area.
  await flow.getByRole('button', { name: /finish/i }).click({ timeout: 60 * SECOND });
  await flow.getByRole('dialog').waitFor({ state: 'hidden' });
});

step('adds two members through the "Add member" dialog', async () => {
  await page.goto(`${HA_URL}/config/integrations/integration/shared_calendars`);
  await page.getByText(GROUP, { exact: true }).first().waitFor();
  for (const member of MEMBERS) {
    // Two groups: Home Assistant asks which one, and offers only loaded groups; the
    // group reloads for a few seconds after each member it gets.
    await eventually(`${GROUP} offered in the "Add member" dialog`, async () => {
      await page.getByRole('button', { name: 'Add member' }).click();
      const picker = page.locator('dialog-pick-config-entry');
      const choice = picker.getByRole('button', { name: GROUP });
      if (!(await choice.isEnabled())) {
        await page.keyboard.press('Escape');
        await picker.getByRole('dialog').waitFor({ state: 'hidden' });
        throw new Error(`${GROUP} is not loaded`);
      }
      await choice.click();
    });
    const flow = page.locator('dialog-data-entry-flow');
    await flow.getByText('Add a member').waitFor();
    await flow.getByRole('textbox', { name: 'Name' }).fill(member.name);
    await pick(
      flow,
      flow.getByRole('button', { name: 'Add', exact: true }),
      member.source,
      flow.getByRole('button', { name: /^Remove / }), // the chosen calendar's chip
    );
    await pick(
      flow,
      flow.getByRole('button', { name: 'Combined calendar' }),
      member.combined,
      flow.getByRole('button', { name: 'Clear' }), // the field has a value
    );
    await flow.getByRole('button', { name: 'Submit' }).click();
    await flow.getByText(`Created configuration for ${member.name}.`).waitFor();
    await flow.getByRole('button', { name: 'Finish' }).click();
    await flow.getByRole('dialog').waitFor({ state: 'hidden' });
  }
});

/**
 * In the calendar panel, show only the calendar `shown` (its name, or a RegExp of it);
 * wait until an event whose title matches `title` is in it.
 */
async function showOnly(shown, title) {
  const panel = page.locator('ha-panel-calendar');
  // '- menuitemcheckbox "Dana's combined calendar" [checked]'
  const nameOf = (snapshot) => snapshot.replace(' [checked]', '').trim();
  const target = panel.getByRole('menuitemcheckbox', { name: shown, exact: true });
  const wanted = nameOf(await target.ariaSnapshot());
  for (const item of await panel.getByRole('menuitemcheckbox').all()) {
    const snapshot = await item.ariaSnapshot();
    if (snapshot.includes('[checked]') !== (nameOf(snapshot) === wanted)) {
      await item.click();
    }
  }
  await eventually(`${title} in ${shown}`, async () => {
    await panel.getByRole('button', { name: 'Refresh' }).click();
    await panel.getByRole('button', { name: new RegExp(title) }).first().waitFor({ timeout: 5 * SECOND });
  });
  return panel;
}

step("shows Eli's event in Dana's combined calendar in the calendar panel", async () => {
  await page.getByRole('link', { name: 'Calendar', exact: true }).click();
  // Only Dana's combined calendar: what the sync copied for her.
  const panel = await showOnly("Dana's combined calendar", ELIS_EVENT);
  // Dana's own events are not copied back to her (receive own events is off).
  assert.equal(await panel.getByRole('button', { name: new RegExp(DANAS_EVENT) }).count(), 0);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'combined-calendar.png') });
});

step("shares Grandpa's Local Calendar with the family, and theirs with him", async () => {
  // His event, from a Local Calendar, copied to a CalDAV combined calendar ...
  await showOnly("Anna's combined calendar", GRANDPAS_EVENT);
  // ... and Anna's, from CalDAV, copied into his Local Calendar "Grandpa: everyone"
  // (the Local Calendar integration's own entity, not one of the group's).
  const panel = await showOnly(GRANDPAS_COMBINED, ANNAS_EVENT);
  assert.equal(await panel.getByRole('button', { name: /Garden centre/ }).count(), 0);
});

step("shows the meeting room's bookings in its room calendar", async () => {
  // The demo made the meeting room a room calendar (the group's options): the
  // group's entity shows its bookings as the last sync read them.
  await showOnly(ROOM, ROOM_BOOKING);
});
