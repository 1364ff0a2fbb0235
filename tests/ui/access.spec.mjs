// Roles: a role without access to a page sees why, not a broken page. These need a silo that signs
// requests in: run.sh mints the tokens from the silo's `token` verb (a silo without sign-in has no
// roles to tell apart, and acts as an anonymous admin, which the other files cover).
import { expect, test } from '@playwright/test';
import { monthWithRows, open, tokenFor } from './helpers.mjs';

if (tokenFor('engineer')) {
  test('an engineer’s token is refused the inbox, with an explanation and a way on', async ({ page }) => {
    const month = await monthWithRows();
    await open(page, `/reconciliation/${month}`, tokenFor('engineer'));
    await expect(page.getByRole('heading', { name: 'No access', level: 1 })).toBeVisible();
    await expect(page.getByText('The reconciliation inbox is for the admin, finance, integrator roles.')).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reconciliation' })).toHaveCount(0);
    await page.getByRole('link', { name: 'Go to your start page' }).click();
    await expect(page).toHaveURL(/\/me$/);
    await expect(page.getByRole('heading', { level: 1 })).toContainText('My AI Usage');
  });

  test('a sign-in link whose token does not validate is refused', async ({ page }) => {
    await open(page, '/attribution', 'not-a-token');
    await expect(page.getByRole('alert')).toContainText('That sign-in link was not accepted');
    expect(page.url()).not.toContain('token=');
  });
}
