import { useEffect, useMemo, useState } from 'react';
import {
  Button,
  Group,
  Modal,
  MultiSelect,
  NativeSelect,
  Stack,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useOpenCount } from '../../components/useOpenCount';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { isApiError, type ProblemFieldError } from '../../api/client';
import { servicesApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { Service, ServiceCreate, ServicePatch, ServiceTier } from '../../api/types';
import { SERVICE_TIER_LABELS } from '../../components/Badges';
import { FormProblem } from '../../components/FormProblem';
import { mapFieldErrors } from '../../components/formErrors';
import { useTeams } from '../teams/useTeams';

export const SERVICE_KEY_PATTERN = /^[a-z][a-z0-9-]{1,62}$/;
const GOVERNANCE_SUGGESTIONS = ['regulated', 'standard', 'fast-lane'];
const FIELDS = ['key', 'name', 'description', 'tier', 'ownerTeamId', 'governanceProfile', 'dependsOn'] as const;
const FIELD_ALIASES: Record<string, string> = { ownerTeam: 'ownerTeamId', owner_team_id: 'ownerTeamId', governance_profile: 'governanceProfile', depends_on: 'dependsOn' };

interface ServiceFormValues {
  key: string;
  name: string;
  description: string;
  tier: string;
  ownerTeamId: string;
  governanceProfile: string;
  dependsOn: string[];
}

function toValues(service: Service | null): ServiceFormValues {
  return {
    key: service?.key ?? '',
    name: service?.name ?? '',
    description: service?.description ?? '',
    tier: service ? String(service.tier) : '',
    ownerTeamId: service?.ownerTeam?.id ?? '',
    governanceProfile: service?.governanceProfile ?? '',
    dependsOn: service?.dependsOn.map((d) => d.id) ?? [],
  };
}

function toCreate(values: ServiceFormValues): ServiceCreate {
  const body: ServiceCreate = {
    key: values.key.trim(),
    name: values.name.trim(),
    tier: Number(values.tier) as ServiceTier,
  };
  if (values.description.trim()) body.description = values.description.trim();
  if (values.ownerTeamId) body.ownerTeamId = values.ownerTeamId;
  if (values.governanceProfile.trim()) body.governanceProfile = values.governanceProfile.trim();
  if (values.dependsOn.length) body.dependsOn = values.dependsOn;
  return body;
}

/** JSON Merge Patch with only the fields that changed; empty optional text clears (null). */
function toPatch(initial: ServiceFormValues, values: ServiceFormValues): ServicePatch {
  const patch: ServicePatch = {};
  if (values.name.trim() !== initial.name) patch.name = values.name.trim();
  if (values.description.trim() !== initial.description) patch.description = values.description.trim() || null;
  if (values.tier !== initial.tier) patch.tier = Number(values.tier) as ServiceTier;
  if (values.ownerTeamId !== initial.ownerTeamId) patch.ownerTeamId = values.ownerTeamId || null;
  if (values.governanceProfile.trim() !== initial.governanceProfile)
    patch.governanceProfile = values.governanceProfile.trim() || null;
  const before = [...initial.dependsOn].sort().join(',');
  const after = [...values.dependsOn].sort().join(',');
  if (before !== after) patch.dependsOn = values.dependsOn;
  return patch;
}

interface ServiceFormModalProps {
  opened: boolean;
  onClose: () => void;
  /** null = create a new service */
  service: Service | null;
}

export function ServiceFormModal({ opened, onClose, service }: ServiceFormModalProps) {
  // A fresh form each time the dialog opens; content stays during the close animation.
  const session = useOpenCount(opened);
  const isEdit = service !== null;
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      size="lg"
      title={
        <Text fw={600}>
          {isEdit ? (
            <>
              Edit service <span className="sg-mono">{service.key}</span>
            </>
          ) : (
            'New service'
          )}
        </Text>
      }
    >
      <ServiceForm key={`${service?.id ?? 'new'}-${session}`} service={service} onDone={onClose} />
    </Modal>
  );
}

function ServiceForm({ service: initialService, onDone }: { service: Service | null; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [service, setService] = useState<Service | null>(initialService);
  const isEdit = service !== null;
  const initialValues = useMemo(() => toValues(service), [service]);
  const [submitError, setSubmitError] = useState<unknown>(null);
  const [unplaced, setUnplaced] = useState<ProblemFieldError[]>([]);

  const teams = useTeams();
  const serviceOptions = useQuery({
    queryKey: queryKeys.services.options,
    queryFn: ({ signal }) => servicesApi.list({ limit: 200 }, signal),
    staleTime: 30_000,
  });

  const form = useForm<ServiceFormValues>({
    mode: 'controlled',
    initialValues,
    validate: {
      key: (value) =>
        isEdit || SERVICE_KEY_PATTERN.test(value.trim())
          ? null
          : 'Use 2–63 characters: a lowercase letter first, then lowercase letters, digits or dashes',
      name: (value) => (!value.trim() ? 'Name is required' : value.trim().length > 200 ? 'At most 200 characters' : null),
      description: (value) => (value.length > 4000 ? 'At most 4000 characters' : null),
      tier: (value) => (['1', '2', '3', '4'].includes(value) ? null : 'Choose a tier'),
    },
  });

  useEffect(() => {
    form.setInitialValues(initialValues);
    form.setValues(initialValues);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [initialValues]);

  const teamOptions = [
    { value: '', label: 'No owner team' },
    ...(teams.data?.items ?? []).map((t) => ({ value: t.id, label: `${t.name} (${t.key})` })),
  ];
  // Keep the current owner selectable even if the team list failed or is paged.
  if (service?.ownerTeam && !teamOptions.some((o) => o.value === service.ownerTeam?.id)) {
    teamOptions.push({ value: service.ownerTeam.id, label: `${service.ownerTeam.name} (${service.ownerTeam.key})` });
  }

  const dependencyOptions = useMemo(() => {
    const map = new Map<string, string>();
    for (const s of serviceOptions.data?.items ?? []) {
      if (s.id !== service?.id) map.set(s.id, `${s.name} (${s.key})`);
    }
    for (const d of service?.dependsOn ?? []) if (!map.has(d.id)) map.set(d.id, `${d.name} (${d.key})`);
    return [...map].map(([value, label]) => ({ value, label }));
  }, [serviceOptions.data, service]);

  const save = useMutation({
    mutationFn: async (values: ServiceFormValues) => {
      if (!service) return { saved: await servicesApi.create(toCreate(values)), changed: true };
      const patch = toPatch(initialValues, values);
      if (Object.keys(patch).length === 0) return { saved: service, changed: false };
      return { saved: await servicesApi.update(service.id, service.version, patch), changed: true };
    },
    onMutate: () => {
      setSubmitError(null);
      setUnplaced([]);
    },
    onSuccess: ({ saved, changed }) => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.services.all });
      notifications.show({
        color: 'green',
        title: isEdit ? (changed ? 'Service saved' : 'No changes to save') : 'Service created',
        message: `${saved.name} (${saved.key})`,
      });
      onDone();
    },
    onError: (error) => {
      const { fieldErrors, unplaced: rest } = mapFieldErrors(error, FIELDS, FIELD_ALIASES);
      form.setErrors(fieldErrors);
      setUnplaced(rest);
      setSubmitError(error);
    },
  });

  const reload = useMutation({
    mutationFn: () => servicesApi.get(service!.id),
    onSuccess: (fresh) => {
      setService(fresh);
      setSubmitError(null);
      setUnplaced([]);
      form.clearErrors();
      void queryClient.invalidateQueries({ queryKey: queryKeys.services.all });
    },
    onError: (error) => setSubmitError(error),
  });

  const stale = isApiError(submitError, 412);

  return (
    <form onSubmit={form.onSubmit((values) => save.mutate(values))} noValidate>
      <Stack gap="sm">
        {stale ? (
          <FormProblem error={submitError} title="Someone else changed this service">
            <Text size="sm" mt={4}>
              It was edited after you opened it. Reload to get the latest version, then make your change again (your
              unsaved edits will be replaced).
            </Text>
            <Button mt="xs" variant="default" onClick={() => reload.mutate()} loading={reload.isPending}>
              Reload latest version
            </Button>
          </FormProblem>
        ) : (
          <FormProblem
            error={submitError}
            unplaced={unplaced}
            title={isApiError(submitError, undefined, 'dependency_cycle') ? 'That would create a dependency cycle' : 'Could not save'}
          />
        )}
        <Group grow align="flex-start">
          <TextInput
            label="Key"
            description={isEdit ? 'The key cannot be changed.' : 'Lowercase letters, digits, dashes.'}
            placeholder="payments-api"
            required={!isEdit}
            disabled={isEdit}
            autoComplete="off"
            spellCheck={false}
            data-autofocus={!isEdit || undefined}
            classNames={{ input: 'sg-mono' }}
            {...form.getInputProps('key')}
          />
          <TextInput
            label="Name"
            description="Shown everywhere the service appears."
            placeholder="Payments API"
            required
            maxLength={200}
            data-autofocus={isEdit || undefined}
            {...form.getInputProps('name')}
          />
        </Group>
        <Textarea
          label="Description"
          placeholder="What it does and who relies on it"
          autosize
          minRows={2}
          maxRows={6}
          maxLength={4000}
          {...form.getInputProps('description')}
        />
        <Group grow align="flex-start">
          <NativeSelect
            label="Tier"
            description="Criticality drives the process it gets."
            required
            data={[
              { value: '', label: 'Choose a tier…', disabled: true },
              ...([1, 2, 3, 4] as const).map((t) => ({ value: String(t), label: SERVICE_TIER_LABELS[t] })),
            ]}
            {...form.getInputProps('tier')}
          />
          <NativeSelect
            label="Owner team"
            description={teams.isError ? 'Could not load teams.' : 'Accountable for changes to it.'}
            data={teamOptions}
            {...form.getInputProps('ownerTeamId')}
          />
        </Group>
        <TextInput
          label="Governance profile"
          description="Optional, e.g. regulated, standard or fast-lane."
          placeholder="standard"
          list="sg-governance-profiles"
          autoComplete="off"
          spellCheck={false}
          maxLength={100}
          {...form.getInputProps('governanceProfile')}
        />
        <datalist id="sg-governance-profiles">
          {GOVERNANCE_SUGGESTIONS.map((g) => (
            <option key={g} value={g} />
          ))}
        </datalist>
        <MultiSelect
          label="Depends on"
          description={
            serviceOptions.isError
              ? 'Could not load the other services.'
              : 'Services this one needs at runtime.'
          }
          placeholder={form.values.dependsOn.length ? undefined : 'Search services'}
          data={dependencyOptions}
          searchable
          clearable
          nothingFoundMessage={serviceOptions.isLoading ? 'Loading…' : 'No other services'}
          hidePickedOptions
          // Mount the option list only while open, so the label names just the input.
          comboboxProps={{ keepMounted: false }}
          {...form.getInputProps('dependsOn')}
        />
        <Group justify="flex-end" gap="xs" mt="xs">
          <Button variant="default" onClick={onDone} disabled={save.isPending}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending} disabled={stale}>
            {isEdit ? 'Save' : 'Create service'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
