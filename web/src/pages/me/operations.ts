import { graphql } from '../../gql';

export const MyUsageQuery = graphql(`
  query MyUsage($personId: ID!, $range: DateRange!, $unmatchedOnly: Boolean!, $first: Int!, $after: String, $orderBy: SessionOrder) {
    myUsage(personId: $personId, range: $range) {
      person { id name email }
      range { start end }
      incremental: spend
      market: spend(costMode: MARKET)
      sessionCount
      unmatchedCount
      sessions(first: $first, after: $after, orderBy: $orderBy, unmatchedOnly: $unmatchedOnly) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node { ...SessionRow context { repo path app } } }
      }
    }
  }
`);

/** My spend by project, for those who may read attribution (it moves as soon as a session is marked). */
export const MyProjectsSpendQuery = graphql(`
  query MyProjectsSpend($personId: ID!, $range: DateRange!) {
    attribution(scope: { personId: $personId }, range: $range, costMode: MARKET) { byProject { key name amount } }
  }
`);

export const ProjectsQuery = graphql(`
  query Projects { projects { id name } }
`);

export const MarkSessionProject = graphql(`
  mutation MarkSessionProject($input: MarkSessionProjectInput!) {
    markSessionProject(input: $input) { id projectSource project { id name } }
  }
`);

export const PeoplePickerQuery = graphql(`
  query PeoplePicker { attribution(range: LAST_30_DAYS, costMode: MARKET) { topSpenders(first: 50) { key name } } }
`);
