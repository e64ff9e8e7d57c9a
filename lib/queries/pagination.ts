/** Offset pagination for admin lists (search + sort + page), shared by every list query. */
export const defaultPageSize = 25;

export interface PageRequest {
  page?: number;
  pageSize?: number;
}

export interface Page<T> {
  rows: T[];
  total: number;
  page: number;
  pages: number;
  pageSize: number;
}

export function pageWindow(request: PageRequest): { skip: number; take: number; page: number; pageSize: number } {
  const pageSize = Math.min(Math.max(request.pageSize ?? defaultPageSize, 1), 200);
  const page = Math.max(Math.floor(request.page ?? 1), 1);
  return { skip: (page - 1) * pageSize, take: pageSize, page, pageSize };
}

export function toPage<T>(rows: T[], total: number, window: { page: number; pageSize: number }): Page<T> {
  return { rows, total, page: window.page, pageSize: window.pageSize, pages: Math.max(Math.ceil(total / window.pageSize), 1) };
}

/** A page number from a query-string value (?page=3), 1 when absent or nonsense. */
export function parsePage(value: string | string[] | undefined): number {
  const n = Number.parseInt(Array.isArray(value) ? (value[0] ?? '') : (value ?? ''), 10);
  return Number.isFinite(n) && n > 0 ? n : 1;
}
