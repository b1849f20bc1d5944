import { useMemo, useState } from 'react';
import { Group, MultiSelect, NativeSelect, Stack, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery } from '@tanstack/react-query';
import { isApiError } from '../../api/client';
import { servicesApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { Service, ServiceCreate, ServicePatch, ServiceTier } from '../../api/types';
import { SERVICE_TIER_LABELS } from '../../components/Badges';
import { FormProblem } from '../../components/FormProblem';
import { useEntityFormSave } from '../../components/useEntityFormSave';
import {
  ENTITY_KEY_PATTERN,
  EntityFormModal,
  FormActions,
  KeyNameDescriptionFields,
  keyNameDescriptionValidators,
  useResetFormOnNewValues,
  StaleVersionProblem,
  useFormSubmitErrors,
} from '../../components/EntityFormParts';
import { useTeams } from '../teams/useTeams';

export const SERVICE_KEY_PATTERN = ENTITY_KEY_PATTERN;
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
  return (
    <EntityFormModal
      opened={opened}
      onClose={onClose}
      noun="service"
      editingKey={service?.key ?? null}
      renderForm={(session) => (
        <ServiceForm key={`${service?.id ?? 'new'}-${session}`} service={service} onDone={onClose} />
      )}
    />
  );
}

function ServiceForm({ service: initialService, onDone }: { service: Service | null; onDone: () => void }) {
  const [service, setService] = useState<Service | null>(initialService);
  const isEdit = service !== null;
  const initialValues = useMemo(() => toValues(service), [service]);

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
      ...keyNameDescriptionValidators(isEdit),
      tier: (value) => (['1', '2', '3', '4'].includes(value) ? null : 'Choose a tier'),
    },
  });

  const errors = useFormSubmitErrors(form.setErrors, FIELDS, FIELD_ALIASES);
  const { submitError, unplaced } = errors;

  useResetFormOnNewValues(form, initialValues);

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

  const { save, reload, stale } = useEntityFormSave({
    entity: service,
    initialValues,
    api: servicesApi,
    toCreate,
    toPatch,
    noun: 'Service',
    invalidateKey: queryKeys.services.all,
    errors,
    onReloaded: (fresh) => {
      setService(fresh);
      form.clearErrors();
    },
    onDone,
  });

  return (
    <form onSubmit={form.onSubmit((values) => save.mutate(values))} noValidate>
      <Stack gap="sm">
        {stale ? (
          <StaleVersionProblem
            error={submitError}
            title="Someone else changed this service"
            onReload={() => reload.mutate()}
            reloading={reload.isPending}
          />
        ) : (
          <FormProblem
            error={submitError}
            unplaced={unplaced}
            title={isApiError(submitError, undefined, 'dependency_cycle') ? 'That would create a dependency cycle' : 'Could not save'}
          />
        )}
        <KeyNameDescriptionFields
          isEdit={isEdit}
          keyProps={form.getInputProps('key')}
          nameProps={form.getInputProps('name')}
          descriptionProps={form.getInputProps('description')}
          keyPlaceholder="payments-api"
          namePlaceholder="Payments API"
          nameDescription="Shown everywhere the service appears."
          descriptionPlaceholder="What it does and who relies on it"
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
        <FormActions
          onCancel={onDone}
          submitLabel={isEdit ? 'Save' : 'Create service'}
          submitting={save.isPending}
          submitDisabled={stale}
        />
      </Stack>
    </form>
  );
}
