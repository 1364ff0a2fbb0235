import { useCallback, useState } from 'react';
import { useClient, useMutation } from 'urql';
import type { InboxRowFragment, RowAction } from '../../gql/graphql';
import { problemOf, type Problem } from '../../api/errors';
import { ApplyRowAction, RowQuery } from './operations';

/**
 * Row actions with their outcome per row: the payload's row and summary land in the cache (so the
 * row and the summary row re-render from it); a failure leaves everything as it was and is kept as
 * the row's problem; a version conflict (or a transition no longer offered) reloads the row first.
 */
export function useRowActions(onChanged: () => void) {
  const client = useClient();
  const [, apply] = useMutation(ApplyRowAction);
  const [problems, setProblems] = useState<Record<string, Problem | undefined>>({});
  const [pending, setPending] = useState<Record<string, RowAction | undefined>>({});

  const act = useCallback(async (row: InboxRowFragment, action: RowAction, note?: string): Promise<Problem | null> => {
    setPending(p => ({ ...p, [row.id]: action }));
    setProblems(p => ({ ...p, [row.id]: undefined }));
    const result = await apply({ input: { rowId: row.id, action, note: note ?? null, expectedVersion: row.version } });
    setPending(p => ({ ...p, [row.id]: undefined }));
    if (result.error) {
      const problem = problemOf(result.error);
      if (problem.code === 'VERSION_CONFLICT' || problem.code === 'INVALID_TRANSITION' || problem.code === 'NOT_FOUND') {
        await client.query(RowQuery, { id: row.id }, { requestPolicy: 'network-only' }).toPromise();
      }
      setProblems(p => ({ ...p, [row.id]: problem }));
      return problem;
    }
    onChanged();
    return null;
  }, [apply, client, onChanged]);

  const dismiss = useCallback((rowId: string) => setProblems(p => ({ ...p, [rowId]: undefined })), []);
  return { act, problems, pending, dismiss };
}
