import { useQuery } from '@tanstack/react-query';
import { api, type Schemas, unwrap } from '../../api/client';

/** Every custom field, for rule pickers and import mappings: fields are few, so all pages are read. */
export function useFields() {
  return useQuery({
    queryKey: ['fields', 'all'],
    queryFn: async () => {
      const all: Schemas['FieldView'][] = [];
      let cursor: string | undefined;
      do {
        const page = await unwrap(api.GET('/api/v1/fields', { params: { query: { limit: 200, cursor } } }));
        all.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      return all;
    },
  });
}
