/** Small presentational pieces shared by the portal pages (server components). */
import Link from 'next/link';
import type { ReactNode } from 'react';

export function PageHeader({ title, subtitle, actions }: { title: string; subtitle?: string; actions?: ReactNode }) {
  return (
    <div className="mb-6 flex flex-col gap-3 sm:flex-row sm:items-end sm:justify-between">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight text-slate-900">{title}</h1>
        {subtitle ? <p className="mt-1 text-sm text-slate-600">{subtitle}</p> : null}
      </div>
      {actions}
    </div>
  );
}

export function Card({ title, children, className }: { title?: string; children: ReactNode; className?: string }) {
  return (
    <section className={`rounded-xl border border-slate-200 bg-white p-5 shadow-sm ${className ?? ''}`}>
      {title ? <h2 className="mb-4 text-base font-semibold text-slate-900">{title}</h2> : null}
      {children}
    </section>
  );
}

export function EmptyState({ title, hint }: { title: string; hint?: string }) {
  return (
    <div className="flex flex-col items-center justify-center rounded-lg border border-dashed border-slate-300 px-6 py-12 text-center">
      <svg aria-hidden className="h-10 w-10 text-slate-300" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.5">
        <path d="M3 7l9 6 9-6M4 5h16a1 1 0 011 1v12a1 1 0 01-1 1H4a1 1 0 01-1-1V6a1 1 0 011-1z" />
      </svg>
      <p className="mt-3 text-sm font-medium text-slate-700">{title}</p>
      {hint ? <p className="mt-1 text-sm text-slate-500">{hint}</p> : null}
    </div>
  );
}

export function Badge({ children, tone = 'slate' }: { children: ReactNode; tone?: 'slate' | 'green' | 'red' | 'blue' | 'amber' }) {
  const tones = {
    slate: 'bg-slate-100 text-slate-700',
    green: 'bg-emerald-100 text-emerald-800',
    red: 'bg-red-100 text-red-800',
    blue: 'bg-blue-100 text-blue-800',
    amber: 'bg-amber-100 text-amber-800',
  };
  return <span className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ${tones[tone]}`}>{children}</span>;
}

/** Previous/next links keeping the other query parameters. */
export function Pagination({
  page,
  pages,
  href,
  labels,
}: {
  page: number;
  pages: number;
  href: (page: number) => string;
  labels: { previous: string; next: string; page: string };
}) {
  if (pages <= 1) return null;
  const link = 'rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm hover:bg-slate-50';
  return (
    <nav className="mt-4 flex items-center justify-between gap-2 text-sm text-slate-600" aria-label="pagination">
      {page > 1 ? <Link className={link} href={href(page - 1)}>{labels.previous}</Link> : <span />}
      <span>{labels.page}</span>
      {page < pages ? <Link className={link} href={href(page + 1)}>{labels.next}</Link> : <span />}
    </nav>
  );
}

/**
 * Newer/older links of a keyset-paged list (no page numbers: the position is a cursor), and a link
 * back to the newest page once away from it. Each link keeps the search and carries its cursor.
 */
export function KeysetPagination({
  newer,
  older,
  newest,
  labels,
  testIds,
}: {
  newer?: string;
  older?: string;
  newest?: string;
  /** the label of each link given */
  labels: { newer?: string; older?: string; newest?: string };
  testIds?: { newer?: string; older?: string };
}) {
  if (!newer && !older && !newest) return null;
  const link = 'rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm hover:bg-slate-50';
  return (
    <nav className="mt-4 flex items-center justify-between gap-2" aria-label="pagination">
      {newer ? <Link className={link} href={newer} data-testid={testIds?.newer}>{labels.newer}</Link> : <span />}
      {newest ? <Link className="text-sm text-blue-800 hover:underline" href={newest}>{labels.newest}</Link> : null}
      {older ? <Link className={link} href={older} data-testid={testIds?.older}>{labels.older}</Link> : <span />}
    </nav>
  );
}

/** A GET search form: the query lives in the URL, so results are shareable and server-rendered. */
export function SearchBar({
  q,
  placeholder,
  label,
  children,
}: {
  q?: string;
  placeholder: string;
  label: string;
  children?: ReactNode;
}) {
  return (
    <form method="get" className="mb-4 flex flex-col gap-2 sm:flex-row">
      <input
        name="q"
        defaultValue={q}
        placeholder={placeholder}
        aria-label={label}
        className="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-blue-500 focus:outline-none focus:ring-2 focus:ring-blue-200"
      />
      {children}
      <button type="submit" className="rounded-md bg-slate-800 px-4 py-2 text-sm font-medium text-white hover:bg-slate-900">
        {label}
      </button>
    </form>
  );
}

/**
 * The list block every portal list page shares: an empty state, or the result count, the table with
 * its header row, and the pagination. Pages give only their columns and their rows.
 * Pagination is either by page number (`pagination`, shown under a non-empty table) or keyset
 * (`pager`: a KeysetPagination, shown even under an empty page, which still links back).
 */
export function ResultsTable({
  isEmpty,
  empty,
  resultsLabel,
  testId,
  columns,
  alignTop,
  pagination,
  pager,
  children,
}: {
  isEmpty: boolean;
  empty: { title: string; hint?: string };
  /** the result count; keyset-paged lists have none */
  resultsLabel?: string;
  testId: string;
  /** Header cells: label and the full class list (padding, alignment, responsive visibility). */
  columns: { label: string; className: string }[];
  /** rows of several lines align their cells at the top */
  alignTop?: boolean;
  pagination?: Parameters<typeof Pagination>[0];
  pager?: ReactNode;
  children: ReactNode;
}) {
  return (
    <Card>
      {isEmpty ? (
        <EmptyState title={empty.title} hint={empty.hint} />
      ) : (
        <>
          {resultsLabel ? <p className="mb-3 text-xs text-slate-500">{resultsLabel}</p> : null}
          <div className="-mx-5 overflow-x-auto">
            <table className="min-w-full text-sm" data-testid={testId}>
              <thead className="border-b border-slate-200 text-left text-xs uppercase tracking-wide text-slate-500">
                <tr>
                  {columns.map((c, i) => (
                    <th key={i} className={c.className}>
                      {c.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody className={alignTop ? 'divide-y divide-slate-100 align-top' : 'divide-y divide-slate-100'}>{children}</tbody>
            </table>
          </div>
          {pagination ? <Pagination {...pagination} /> : null}
        </>
      )}
      {pager}
    </Card>
  );
}
