import { useQuery } from '@tanstack/react-query';
import { api, ApiFailure, unwrap } from '../api/client';

export const ME = ['auth', 'me'] as const;

/** The signed-in user, or null when there is no session (401). */
export function useSession() {
  return useQuery({
    queryKey: ME,
    queryFn: async () => {
      try {
        return await unwrap(api.GET('/api/v1/auth/me'));
      } catch (error) {
        if (error instanceof ApiFailure && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
  });
}
