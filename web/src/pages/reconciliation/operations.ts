import { graphql } from '../../gql';

export const InboxRowFields = graphql(`
  fragment InboxRow on BillingRow {
    id providerId externalId period kind description account subjectKey
    subject { id name email }
    usageDate totalCostUsd observedCostUsd delta status confidence matchReason provisional residualCause
    version availableActions note deferredTo deferredFrom
    auditTrail { at actor fromStatus toStatus action note version }
  }
`);

export const SummaryFields = graphql(`
  fragment Summary on PeriodSummary {
    period billed observed writtenOff residual residualRatio residualWarning rowCount
    residualByCause { cause amount rows }
  }
`);

export const InboxQuery = graphql(`
  query Inbox($period: String!, $statuses: [RowStatus!], $provider: ID, $first: Int!, $after: String) {
    reconciliation(period: $period, statuses: $statuses, provider: $provider, first: $first, after: $after) {
      period
      summary { ...Summary }
      buckets { status count amount }
      emptyState
      deferredOut { id externalId providerId deferredTo totalCostUsd subject { id name } account }
      deferredIn { id externalId providerId deferredFrom totalCostUsd subject { id name } account }
      rows {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node { ...InboxRow } }
      }
    }
  }
`);

/** The chips alone, fetched again after a change (the summary comes with the change itself). */
export const BucketsQuery = graphql(`
  query InboxBuckets($period: String!) {
    reconciliation(period: $period, first: 1) { period buckets { status count amount } }
  }
`);

export const RowQuery = graphql(`
  query InboxRowReload($id: ID!) { billingRow(id: $id) { ...InboxRow } }
`);

export const ApplyRowAction = graphql(`
  mutation ApplyRowAction($input: RowActionInput!) {
    applyRowAction(input: $input) {
      row { ...InboxRow }
      summary { ...Summary }
    }
  }
`);

export const RowChanges = graphql(`
  subscription InboxRowChanges($period: String) {
    rowStatusChanged(period: $period) { cursor fromStatus toStatus actor row { ...InboxRow } }
  }
`);

export const SummaryChanges = graphql(`
  subscription InboxSummaryChanges($period: String!) {
    periodSummaryChanged(period: $period) { ...Summary }
  }
`);
