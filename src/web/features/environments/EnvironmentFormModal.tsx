import { useMemo, useState } from 'react';
import { Group, NativeSelect, NumberInput, Stack, Switch } from '@mantine/core';
import { useForm } from '@mantine/form';
import { environmentsApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { BookingMode, Environment, EnvironmentCreate, EnvironmentPatch, EnvironmentTier } from '../../api/types';
import { ENV_TIER_LABELS } from '../../components/Badges';
import { FormProblem } from '../../components/FormProblem';
import { useEntityFormSave } from '../../components/useEntityFormSave';
import { useTeams } from '../teams/useTeams';
import {
  EntityFormModal,
  FormActions,
  KeyNameDescriptionFields,
  keyNameDescriptionValidators,
  useResetFormOnNewValues,
  StaleVersionProblem,
  useFormSubmitErrors,
} from '../../components/EntityFormParts';

const TIERS: EnvironmentTier[] = ['development', 'testing', 'staging', 'production'];
const FIELDS = ['key', 'name', 'description', 'tier', 'order', 'changeControlled', 'bookingMode', 'bookingApproverTeam'] as const;
const ALIASES: Record<string, string> = { change_controlled: 'changeControlled' };

interface EnvironmentFormValues {
  key: string;
  name: string;
  description: string;
  tier: string;
  order: number | string;
  changeControlled: boolean;
  bookingMode: BookingMode;
  /** team key; '' = anyone who may decide bookings */
  bookingApproverTeam: string;
}

function toValues(env: Environment | null, nextOrder: number): EnvironmentFormValues {
  return {
    key: env?.key ?? '',
    name: env?.name ?? '',
    description: env?.description ?? '',
    tier: env?.tier ?? '',
    order: env?.order ?? nextOrder,
    changeControlled: env?.changeControlled ?? false,
    bookingMode: env?.bookingMode ?? 'refuse',
    bookingApproverTeam: env?.bookingApproverTeam ?? '',
  };
}

function toCreate(v: EnvironmentFormValues): EnvironmentCreate {
  const body: EnvironmentCreate = {
    key: v.key.trim(),
    name: v.name.trim(),
    tier: v.tier as EnvironmentTier,
    order: Number(v.order),
    changeControlled: v.changeControlled,
    bookingMode: v.bookingMode,
  };
  if (v.bookingApproverTeam) body.bookingApproverTeam = v.bookingApproverTeam;
  if (v.description.trim()) body.description = v.description.trim();
  return body;
}

function toPatch(initial: EnvironmentFormValues, v: EnvironmentFormValues): EnvironmentPatch {
  const patch: EnvironmentPatch = {};
  if (v.name.trim() !== initial.name) patch.name = v.name.trim();
  if (v.description.trim() !== initial.description) patch.description = v.description.trim() || null;
  if (v.tier !== initial.tier) patch.tier = v.tier as EnvironmentTier;
  if (Number(v.order) !== Number(initial.order)) patch.order = Number(v.order);
  if (v.changeControlled !== initial.changeControlled) patch.changeControlled = v.changeControlled;
  if (v.bookingMode !== initial.bookingMode) patch.bookingMode = v.bookingMode;
  if (v.bookingApproverTeam !== initial.bookingApproverTeam) patch.bookingApproverTeam = v.bookingApproverTeam || null;
  return patch;
}

interface Props {
  opened: boolean;
  onClose: () => void;
  environment: Environment | null;
  nextOrder: number;
}

export function EnvironmentFormModal({ opened, onClose, environment, nextOrder }: Props) {
  return (
    <EntityFormModal
      opened={opened}
      onClose={onClose}
      noun="environment"
      editingKey={environment?.key ?? null}
      renderForm={(session) => (
        <EnvironmentForm
          key={`${environment?.id ?? 'new'}-${session}`}
          environment={environment}
          nextOrder={nextOrder}
          onDone={onClose}
        />
      )}
    />
  );
}

function EnvironmentForm({
  environment: initialEnv,
  nextOrder,
  onDone,
}: {
  environment: Environment | null;
  nextOrder: number;
  onDone: () => void;
}) {
  const [environment, setEnvironment] = useState(initialEnv);
  const isEdit = environment !== null;
  const initialValues = useMemo(() => toValues(environment, nextOrder), [environment, nextOrder]);
  const [controlTouched, setControlTouched] = useState(false);
  const teams = useTeams();

  const form = useForm<EnvironmentFormValues>({
    mode: 'controlled',
    initialValues,
    validate: {
      ...keyNameDescriptionValidators(isEdit),
      tier: (value) => (TIERS.includes(value as EnvironmentTier) ? null : 'Choose a tier'),
      order: (value) => (value === '' || !Number.isInteger(Number(value)) ? 'Enter a whole number' : null),
    },
  });

  const errors = useFormSubmitErrors(form.setErrors, FIELDS, ALIASES);
  const { submitError, unplaced } = errors;

  useResetFormOnNewValues(form, initialValues);

  const { save, reload, stale } = useEntityFormSave({
    entity: environment,
    initialValues,
    api: environmentsApi,
    toCreate,
    toPatch,
    noun: 'Environment',
    invalidateKey: queryKeys.environments.all,
    errors,
    onReloaded: (fresh) => {
      setEnvironment(fresh);
      form.clearErrors();
    },
    onDone,
  });
  const tierProps = form.getInputProps('tier');

  return (
    <form onSubmit={form.onSubmit((values) => save.mutate(values))} noValidate>
      <Stack gap="sm">
        {stale ? (
          <StaleVersionProblem
            error={submitError}
            title="Someone else changed this environment"
            onReload={() => reload.mutate()}
            reloading={reload.isPending}
          />
        ) : (
          <FormProblem error={submitError} unplaced={unplaced} />
        )}
        <KeyNameDescriptionFields
          isEdit={isEdit}
          keyProps={form.getInputProps('key')}
          nameProps={form.getInputProps('name')}
          descriptionProps={form.getInputProps('description')}
          keyPlaceholder="production"
          namePlaceholder="Production (EU)"
        />
        <Group grow align="flex-start">
          <NativeSelect
            label="Tier"
            required
            data={[
              { value: '', label: 'Choose a tier…', disabled: true },
              ...TIERS.map((t) => ({ value: t, label: ENV_TIER_LABELS[t] })),
            ]}
            {...tierProps}
            onChange={(event) => {
              tierProps.onChange(event);
              const value = event.currentTarget.value;
              if (!isEdit && !controlTouched) form.setFieldValue('changeControlled', value === 'production');
            }}
          />
          <NumberInput
            label="Order"
            description="Position in the promotion path (lowest first)."
            allowDecimal={false}
            required
            {...form.getInputProps('order')}
          />
        </Group>
        <Switch
          label="Change-controlled"
          description="Deployments here need an approved change."
          {...form.getInputProps('changeControlled', { type: 'checkbox' })}
          onChange={(event) => {
            setControlTouched(true);
            form.setFieldValue('changeControlled', event.currentTarget.checked);
          }}
        />
        <Group grow align="flex-start">
          <NativeSelect
            label="Overlapping booking requests"
            description="When a request overlaps a requested or approved booking."
            data={[
              { value: 'refuse', label: 'Refuse them' },
              { value: 'queue', label: 'Queue them' },
            ]}
            {...form.getInputProps('bookingMode')}
          />
          <NativeSelect
            label="Booking approvers"
            description="Who decides bookings of this environment."
            data={[
              { value: '', label: 'Anyone who may decide bookings' },
              ...withCurrentTeam(
                (teams.data?.items ?? []).map((t) => ({ value: t.key, label: `Team ${t.name} (${t.key})` })),
                form.values.bookingApproverTeam,
              ),
            ]}
            {...form.getInputProps('bookingApproverTeam')}
          />
        </Group>
        <FormActions
          onCancel={onDone}
          submitLabel={isEdit ? 'Save' : 'Create environment'}
          submitting={save.isPending}
          submitDisabled={stale}
        />
      </Stack>
    </form>
  );
}

/** Keep the stored approver team selectable while the team list loads. */
function withCurrentTeam(options: { value: string; label: string }[], current: string) {
  return current && !options.some((o) => o.value === current) ? [...options, { value: current, label: `Team ${current}` }] : options;
}
