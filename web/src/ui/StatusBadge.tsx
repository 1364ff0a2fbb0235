import type { RowStatus } from '../gql/graphql';
import { statusLabel } from '../pages/reconciliation/buckets';

export function StatusBadge({ status }: { status: RowStatus }) {
  return <span className={`badge badge-${status.toLowerCase()}`}>{statusLabel[status]}</span>;
}
