import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, type Schemas, unwrap } from '../../api/client';

export type Campaign = Schemas['CampaignView'];
export type CampaignState = Campaign['state'];

export const STATE_COLORS: Record<CampaignState, string> = {
  draft: 'gray',
  scheduled: 'blue',
  needs_confirmation: 'yellow',
  sending: 'teal',
  paused: 'orange',
  sent: 'green',
  cancelled: 'dark',
  failed: 'red',
};

export const stateLabel = (state: CampaignState) => state.replace('_', ' ');

/** Every item of a small cursor-paged collection (templates, senders, segments): pickers need all of them. */
async function allPages<T>(
  read: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor?: string | null }>,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return all;
}

export function useTemplates() {
  return useQuery({
    queryKey: ['templates', 'all'],
    queryFn: () =>
      allPages((cursor) => unwrap(api.GET('/api/v1/templates', { params: { query: { limit: 200, cursor } } }))),
  });
}

export function useSenders() {
  return useQuery({
    queryKey: ['senders', 'all'],
    queryFn: () =>
      allPages((cursor) => unwrap(api.GET('/api/v1/senders', { params: { query: { limit: 200, cursor } } }))),
  });
}

export function useSegments() {
  return useQuery({
    queryKey: ['segments', 'all'],
    queryFn: () =>
      allPages((cursor) => unwrap(api.GET('/api/v1/segments', { params: { query: { limit: 200, cursor } } }))),
  });
}

/** Every campaign, newest last, for pickers (the segment builder's engagement rules). */
export function useCampaigns() {
  return useQuery({
    queryKey: ['campaigns', 'all'],
    queryFn: () =>
      allPages((cursor) => unwrap(api.GET('/api/v1/campaigns', { params: { query: { limit: 200, cursor } } }))),
  });
}

export function useCampaign(id: string) {
  return useQuery({
    queryKey: ['campaigns', id],
    queryFn: () => unwrap(api.GET('/api/v1/campaigns/{id}', { params: { path: { id } } })),
  });
}

/** The audience, the senders' capacity and the pre-send checklist, read again whenever asked for. */
export const preflightQuery = (id: string) =>
  queryOptions({
    queryKey: ['campaigns', id, 'preflight'],
    queryFn: () => unwrap(api.GET('/api/v1/campaigns/{id}/preflight', { params: { path: { id } } })),
  });

export const formatTime = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—');

export const percent = (rate: number | null | undefined) =>
  rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(1)} %`;
