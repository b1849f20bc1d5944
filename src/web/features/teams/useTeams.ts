import { useQuery } from '@tanstack/react-query';
import { teamsApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';

export function useTeams(enabled = true) {
  return useQuery({
    queryKey: queryKeys.teams.all,
    queryFn: ({ signal }) => teamsApi.list(signal),
    staleTime: 5 * 60_000,
    enabled,
  });
}
