import { Link } from 'wouter';
import { landingPath, whoMayOpen, type Page } from '../app/auth';
import { useViewer } from '../app/viewer';

const pageNames: Record<Page, string> = {
  reconciliation: 'The reconciliation inbox',
  attribution: 'The attribution dashboard',
  me: 'My AI Usage',
  providers: 'The providers page',
};

/** What a role without access to a page sees instead of it (also used when the API answers FORBIDDEN). */
export function NoAccess({ page, detail }: { page: Page; detail?: string }) {
  const viewer = useViewer();
  return (
    <section className="page" aria-labelledby="no-access">
      <h1 id="no-access">No access</h1>
      <div className="notice">
        <p>
          {pageNames[page]} is for the {whoMayOpen(page).join(', ')} roles. You are signed in as{' '}
          <strong>{viewer.name}</strong> with the role{viewer.roles.length === 1 ? '' : 's'} <strong>{viewer.roles.join(', ') || 'none'}</strong>.
        </p>
        {detail && <p>{detail}</p>}
        <p>Ask an admin of your organisation for a role that includes it. <Link href={landingPath(viewer)}>Go to your start page</Link>.</p>
      </div>
    </section>
  );
}
