// Each view's state lives in its URL (shareable, and back/forward walk through it).
import { useCallback } from 'react';
import { useLocation, useSearch } from 'wouter';

export type Params = Record<string, string | undefined>;

export function useSearchParams(): [URLSearchParams, (changes: Params, options?: { replace?: boolean }) => void] {
  const search = useSearch();
  const [location, navigate] = useLocation();
  const params = new URLSearchParams(search);
  const update = useCallback((changes: Params, options?: { replace?: boolean }) => {
    const next = new URLSearchParams(search);
    for (const [k, v] of Object.entries(changes)) {
      if (v === undefined || v === '') next.delete(k); else next.set(k, v);
    }
    const q = next.toString();
    navigate(`${location}${q ? `?${q}` : ''}`, { replace: options?.replace });
  }, [search, location, navigate]);
  return [params, update];
}

/** Builds "path?query" from params, leaving out empty ones. */
export function href(path: string, params: Params): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

// A keyset pager in the URL: the cursors of the pages before this one, so Previous works after a
// reload or on a shared link. Cursors are base64 (no '.'), joined by '.'.
export const pageStack = (value: string | null | undefined): string[] => (value ? value.split('.').filter(Boolean) : []);
export const joinStack = (stack: string[]) => (stack.length ? stack.join('.') : undefined);
