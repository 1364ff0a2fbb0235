import { useCallback } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../gql';

export const ProviderNamesQuery = graphql(`
  query ProviderNames { providers { id name } }
`);

/** Providers' display names by id (the id itself until they arrive, or for a role that may not list providers). */
export function useProviderNames() {
  const [{ data }] = useQuery({ query: ProviderNamesQuery });
  const name = useCallback((id: string) => data?.providers.find(p => p.id === id)?.name ?? id, [data]);
  return { providers: data?.providers, name };
}
