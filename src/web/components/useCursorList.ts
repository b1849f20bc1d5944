import { useInfiniteQuery, type QueryKey } from '@tanstack/react-query';
import type { Page } from '../api/types';

interface CursorListOptions<T> {
  queryKey: QueryKey;
  /** Fetch one page; `cursor` is undefined for the first page. */
  fetchPage: (cursor: string | undefined, signal: AbortSignal) => Promise<Page<T>>;
  enabled?: boolean;
}

/** A cursor-paged list ("load more"): the infinite query plus all items loaded so far. */
export function useCursorList<T>({ queryKey, fetchPage, enabled }: CursorListOptions<T>) {
  const list = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam, signal }) => fetchPage(pageParam ?? undefined, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor ?? null,
    ...(enabled === undefined ? {} : { enabled }),
  });
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  return { list, items };
}
