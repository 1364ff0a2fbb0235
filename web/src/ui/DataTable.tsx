// A real <table> with column headers, rendered from a TanStack Table instance (which owns the
// column model, sorting state and expansion); sorting and paging happen on the server, so the
// instance runs with manualSorting and the page it is given.
import { Fragment, memo, type ReactNode } from 'react';
import { flexRender, type Row, type Table } from '@tanstack/react-table';

type Props<T> = {
  table: Table<T>;
  caption: string;
  /** Caption visible, or for screen readers only (when a heading above already says it). */
  captionHidden?: boolean;
  rowProps?: (row: Row<T>) => React.HTMLAttributes<HTMLTableRowElement> & { ref?: React.Ref<HTMLTableRowElement> };
  /** Content of a full-width row under an expanded row. */
  renderExpanded?: (row: Row<T>) => ReactNode;
  /** Content of a full-width row under any row (e.g. an error message beside it). */
  renderAfter?: (row: Row<T>) => ReactNode;
  footer?: ReactNode;
  empty?: ReactNode;
  /**
   * Re-render a row only when its data (same object: the GraphQL cache keeps an unchanged row's
   * identity), the columns, its expansion, its class or what renderAfter gives change. Then the
   * columns' cells must read everything else they show through the columns themselves, and
   * rowProps' handlers and refs must not close over state that changes.
   */
  memoRows?: boolean;
};

export function DataTable<T>({ table, caption, captionHidden, rowProps, renderExpanded, renderAfter, footer, empty, memoRows }: Props<T>) {
  const columns = table.getVisibleLeafColumns().length;
  const rows = table.getRowModel().rows;
  return (
    <div className="table-wrap" role="region" aria-label={caption} tabIndex={0}>
      <table>
        <caption className={captionHidden ? 'sr-only' : undefined}>{caption}</caption>
        <thead>
          {table.getHeaderGroups().map(group => (
            <tr key={group.id}>
              {group.headers.map(header => {
                const sorted = header.column.getIsSorted();
                const meta = header.column.columnDef.meta as { numeric?: boolean } | undefined;
                return (
                  <th key={header.id} scope="col" className={meta?.numeric ? 'num' : undefined}
                      aria-sort={header.column.getCanSort() ? (sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none') : undefined}>
                    {header.isPlaceholder ? null : header.column.getCanSort() ? (
                      <button type="button" className="sort" onClick={header.column.getToggleSortingHandler()}>
                        {flexRender(header.column.columnDef.header, header.getContext())}
                        <span aria-hidden="true" className="sort-mark">{sorted === 'asc' ? '▲' : sorted === 'desc' ? '▼' : '↕'}</span>
                      </button>
                    ) : flexRender(header.column.columnDef.header, header.getContext())}
                  </th>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody>
          {rows.length === 0 && empty && <tr><td colSpan={columns} className="empty-cell">{empty}</td></tr>}
          {rows.map(row => {
            const after = renderAfter?.(row) || null;
            const expanded = row.getIsExpanded() && !!renderExpanded;
            const RowView = memoRows ? MemoBodyRow : BodyRow;
            return (
              <RowView key={row.id} row={row as Row<unknown>} columns={columns} columnDefs={table.options.columns} trProps={rowProps?.(row)} after={after}
                   expanded={expanded ? renderExpanded!(row) : null} isExpanded={expanded} />
            );
          })}
        </tbody>
        {footer && <tfoot>{footer}</tfoot>}
      </table>
    </div>
  );
}

type BodyRowProps = {
  row: Row<unknown>;
  columns: number;
  columnDefs: unknown;
  trProps?: React.HTMLAttributes<HTMLTableRowElement> & { ref?: React.Ref<HTMLTableRowElement> };
  after: ReactNode;
  expanded: ReactNode;
  isExpanded: boolean;
};

function BodyRow({ row, columns, trProps, after, expanded }: BodyRowProps) {
  return (
    <Fragment>
      <tr {...trProps}>
        {row.getVisibleCells().map(cell => {
          const meta = cell.column.columnDef.meta as { numeric?: boolean; rowHeader?: boolean } | undefined;
          const content = flexRender(cell.column.columnDef.cell, cell.getContext());
          return meta?.rowHeader
            ? <th key={cell.id} scope="row" className={meta?.numeric ? 'num' : undefined}>{content}</th>
            : <td key={cell.id} className={meta?.numeric ? 'num' : undefined}>{content}</td>;
        })}
      </tr>
      {after && <tr className="after-row"><td colSpan={columns}>{after}</td></tr>}
      {expanded && <tr className="expanded-row"><td colSpan={columns}>{expanded}</td></tr>}
    </Fragment>
  );
}

const MemoBodyRow = memo(BodyRow, (a, b) =>
  a.row.original === b.row.original && a.columnDefs === b.columnDefs && a.columns === b.columns
  && a.trProps?.className === b.trProps?.className && a.after === b.after && !a.isExpanded && !b.isExpanded);

/** Next/previous over keyset pages, with where the page sits in the total. */
export function Pager({ label, page, pageSize, shown, total, hasNext, onPrevious, onNext, onFirst }: {
  label: string; page: number; pageSize: number; shown: number; total?: number; hasNext: boolean;
  onPrevious: () => void; onNext: () => void; onFirst?: () => void;
}) {
  const from = shown === 0 ? 0 : (page - 1) * pageSize + 1;
  const to = (page - 1) * pageSize + shown;
  return (
    <nav className="pager" aria-label={label}>
      <span aria-live="polite">{shown === 0 ? 'No rows' : `${from.toLocaleString('en-US')}–${to.toLocaleString('en-US')}`}{total !== undefined && ` of ${total.toLocaleString('en-US')}`}</span>
      {onFirst && page > 2 && <button type="button" onClick={onFirst}>First page</button>}
      <button type="button" onClick={onPrevious} disabled={page <= 1}>Previous page</button>
      <button type="button" onClick={onNext} disabled={!hasNext}>Next page</button>
    </nav>
  );
}
