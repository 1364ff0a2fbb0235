import { useEffect, useState } from 'react';
import { connection, useConnection } from '../api/connection';

/** Probes the API while it is unreachable; queries retry on their own and pick up when it answers. */
async function probe() {
  try {
    const r = await fetch('/healthz', { cache: 'no-store' });
    if (r.ok) connection.reachable();
  } catch { /* still down */ }
}

export function ConnectionBanner() {
  const { reachable, signedOut } = useConnection();
  const [restored, setRestored] = useState(false);

  useEffect(() => {
    if (reachable) return;
    const timer = setInterval(() => void probe(), 2_000);
    return () => { clearInterval(timer); setRestored(true); };
  }, [reachable]);
  useEffect(() => {
    if (!restored) return;
    const t = setTimeout(() => setRestored(false), 4_000);
    return () => clearTimeout(t);
  }, [restored]);

  if (signedOut) {
    return (
      <div className="banner banner-error" role="alert">
        Your sign-in has ended. Open a new sign-in link to go on; nothing you typed on this page is lost until you leave it.
      </div>
    );
  }
  return (
    <div role="status" aria-live="polite">
      {!reachable && (
        <div className="banner banner-error">
          Flowstate can’t be reached. Retrying… Your work on this page is kept.
          <button type="button" onClick={() => void probe()}>Retry now</button>
        </div>
      )}
      {reachable && restored && <div className="banner banner-ok">Connection restored.</div>}
    </div>
  );
}
