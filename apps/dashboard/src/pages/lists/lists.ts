import { useQuery } from '@tanstack/react-query';
import { api, type Schemas, unwrap } from '../../api/client';

/** Every list, for pickers and filters: lists are few, so all their pages are read. */
export function useLists() {
  return useQuery({
    queryKey: ['lists', 'all'],
    queryFn: async () => {
      const all: Schemas['ListView'][] = [];
      let cursor: string | undefined;
      do {
        const page = await unwrap(api.GET('/api/v1/lists', { params: { query: { limit: 200, cursor } } }));
        all.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      return all;
    },
  });
}
