import { useEffect, useState } from 'react';
import { Button, Group, Modal, NativeSelect, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { environmentsApi, servicesApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import { FormProblem } from '../../components/FormProblem';
import { inventoryKeys } from '../inventory/api';
import { deploymentKeys, deploymentsApi } from './api';

export interface MapTarget {
  kind: 'service' | 'environment';
  /** the name the pipeline reported */
  ref: string;
}

/** Map a reported service or environment name to a catalog entry: its deployments are attached and later reports match. */
export function MapUnmatchedModal({ target, onClose }: { target: MapTarget | null; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [choice, setChoice] = useState('');
  useEffect(() => setChoice(''), [target?.kind, target?.ref]);
  const isService = target?.kind === 'service';
  const services = useQuery({
    queryKey: queryKeys.services.options,
    queryFn: ({ signal }) => servicesApi.list({ limit: 200 }, signal),
    staleTime: 30_000,
    enabled: target?.kind === 'service',
  });
  const environments = useQuery({
    queryKey: queryKeys.environments.options,
    queryFn: ({ signal }) => environmentsApi.list({ limit: 200 }, signal),
    staleTime: 30_000,
    enabled: target?.kind === 'environment',
  });
  const options = (isService ? services.data?.items : environments.data?.items)?.map((e) => ({ value: e.key, label: `${e.name} (${e.key})` })) ?? [];

  const map = useMutation({
    mutationFn: () =>
      deploymentsApi.mapUnmatched(isService ? { serviceRef: target!.ref, service: choice } : { environmentRef: target!.ref, environment: choice }),
    onSuccess: async (result) => {
      notifications.show({
        color: 'green',
        title: `Mapped “${target!.ref}” to ${choice}`,
        message: `${result.mapped} deployment${result.mapped === 1 ? '' : 's'} attached; later reports of “${target!.ref}” will match.`,
      });
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: deploymentKeys.all }),
        queryClient.invalidateQueries({ queryKey: inventoryKeys.all }),
      ]);
      onClose();
    },
  });
  useEffect(() => map.reset(), [target?.kind, target?.ref]); // eslint-disable-line react-hooks/exhaustive-deps

  const noun = isService ? 'service' : 'environment';
  return (
    <Modal opened={target !== null} onClose={onClose} title={`Map “${target?.ref ?? ''}” to a catalog ${noun}`} data-testid="map-modal">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (choice) map.mutate();
        }}
      >
        <Stack gap="sm">
          <Text size="sm">
            Pipelines reported deployments to the {noun} <strong className="sg-mono">{target?.ref}</strong>, which the catalog does
            not know. Choose the {noun} it means: its deployments are attached, the environment inventory is recomputed, and the name
            is remembered as an alias so later reports match.
          </Text>
          <NativeSelect
            label={isService ? 'Catalog service' : 'Catalog environment'}
            value={choice}
            onChange={(e) => setChoice(e.currentTarget.value)}
            data={[{ value: '', label: `Choose a ${noun}…` }, ...options]}
            required
          />
          <FormProblem error={map.error} title="Could not map" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" disabled={!choice} loading={map.isPending}>
              Map
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
