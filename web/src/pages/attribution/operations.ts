import { graphql } from '../../gql';

export const AttributionQuery = graphql(`
  query Attribution($scope: ScopeInput, $range: DateRange!, $costMode: CostMode!) {
    attribution(scope: $scope, range: $range, costMode: $costMode) {
      scope { level id name }
      breadcrumbs { level id name }
      range { start end }
      costMode
      banner { message missing }
      total sessions tokens
      byProvider { key name amount }
      byProject { key name amount drillable }
      byCostCentre { key name amount drillable }
      topSpenders(first: 10) { key name amount drillable }
      frustrationByModel { model frustration sessions }
      coverage { headcount reporting ratio }
      coverageByTeam { team { level id name } headcount reporting ratio }
      children { scope { level id name } amount }
      childCount
    }
  }
`);

/** The teams (children) of one cost centre within the current scope: the hover of "cost by cost centre". */
export const CostCentreTeamsQuery = graphql(`
  query CostCentreTeams($scope: ScopeInput, $range: DateRange!, $costMode: CostMode!) {
    attribution(scope: $scope, range: $range, costMode: $costMode) { total children { scope { level id name } amount } }
  }
`);

/** The org-wide telemetry coverage, the average each team is compared with. */
export const OrgCoverageQuery = graphql(`
  query OrgCoverage($range: DateRange!) { attribution(range: $range) { coverage { headcount reporting ratio } } }
`);

/** Who can be filtered on: the people who spent in scope (by market cost, so seat-covered usage counts too). */
export const PeopleInScopeQuery = graphql(`
  query PeopleInScope($scope: ScopeInput, $range: DateRange!) {
    attribution(scope: $scope, range: $range, costMode: MARKET) { topSpenders(first: 200) { key name amount drillable } }
  }
`);

export const SessionRow = graphql(`
  fragment SessionRow on Session {
    id startedAt providerId model totalTokens costUsd marketCostUsd
    person { id name }
    project { id name }
  }
`);

export const SessionsQuery = graphql(`
  query Sessions($scope: ScopeInput, $range: DateRange!, $filter: SessionFilter, $orderBy: SessionOrder, $first: Int!, $after: String) {
    sessions(scope: $scope, range: $range, filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { ...SessionRow } }
    }
  }
`);

export const SessionQuery = graphql(`
  query SessionDetail($id: ID!) {
    session(id: $id) {
      id subject providerId model startedAt endedAt
      inputTokens outputTokens cachedInputTokens totalTokens turns
      costUsd marketCostUsd incrementalCostUsd frustration apiKeyId projectSource
      person { id name email }
      project { id name }
      context { repo path app }
      content { prompt response }
    }
  }
`);
