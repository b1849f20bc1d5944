import { useEffect, useMemo, useState } from 'react';
import { Button, Group, Modal, NativeSelect, NumberInput, Stack, Switch, Text, Textarea, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useOpenCount } from '../../components/useOpenCount';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { isApiError, type ProblemFieldError } from '../../api/client';
import { environmentsApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { Environment, EnvironmentCreate, EnvironmentPatch, EnvironmentTier } from '../../api/types';
import { ENV_TIER_LABELS } from '../../components/Badges';
import { FormProblem } from '../../components/FormProblem';
import { mapFieldErrors } from '../../components/formErrors';

const KEY_PATTERN = /^[a-z][a-z0-9-]{1,62}$/;
const TIERS: EnvironmentTier[] = ['development', 'testing', 'staging', 'production'];
const FIELDS = ['key', 'name', 'description', 'tier', 'order', 'changeControlled'] as const;
const ALIASES: Record<string, string> = { change_controlled: 'changeControlled' };

interface EnvironmentFormValues {
  key: string;
  name: string;
  description: string;
  tier: string;
  order: number | string;
  changeControlled: boolean;
}

function toValues(env: Environment | null, nextOrder: number): EnvironmentFormValues {
  return {
    key: env?.key ?? '',
    name: env?.name ?? '',
    description: env?.description ?? '',
    tier: env?.tier ?? '',
    order: env?.order ?? nextOrder,
    changeControlled: env?.changeControlled ?? false,
  };
}

function toCreate(v: EnvironmentFormValues): EnvironmentCreate {
  const body: EnvironmentCreate = {
    key: v.key.trim(),
    name: v.name.trim(),
    tier: v.tier as EnvironmentTier,
    order: Number(v.order),
    changeControlled: v.changeControlled,
  };
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
  return patch;
}

interface Props {
  opened: boolean;
  onClose: () => void;
  environment: Environment | null;
  nextOrder: number;
}

export function EnvironmentFormModal({ opened, onClose, environment, nextOrder }: Props) {
  // A fresh form each time the dialog opens; content stays during the close animation.
  const session = useOpenCount(opened);
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      size="lg"
      title={
        <Text fw={600}>
          {environment ? (
            <>
              Edit environment <span className="sg-mono">{environment.key}</span>
            </>
          ) : (
            'New environment'
          )}
        </Text>
      }
    >
      <EnvironmentForm
        key={`${environment?.id ?? 'new'}-${session}`}
        environment={environment}
        nextOrder={nextOrder}
        onDone={onClose}
      />
    </Modal>
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
  const queryClient = useQueryClient();
  const [environment, setEnvironment] = useState(initialEnv);
  const isEdit = environment !== null;
  const initialValues = useMemo(() => toValues(environment, nextOrder), [environment, nextOrder]);
  const [submitError, setSubmitError] = useState<unknown>(null);
  const [unplaced, setUnplaced] = useState<ProblemFieldError[]>([]);
  const [controlTouched, setControlTouched] = useState(false);

  const form = useForm<EnvironmentFormValues>({
    mode: 'controlled',
    initialValues,
    validate: {
      key: (value) =>
        isEdit || KEY_PATTERN.test(value.trim())
          ? null
          : 'Use 2–63 characters: a lowercase letter first, then lowercase letters, digits or dashes',
      name: (value) => (!value.trim() ? 'Name is required' : value.trim().length > 200 ? 'At most 200 characters' : null),
      description: (value) => (value.length > 4000 ? 'At most 4000 characters' : null),
      tier: (value) => (TIERS.includes(value as EnvironmentTier) ? null : 'Choose a tier'),
      order: (value) => (value === '' || !Number.isInteger(Number(value)) ? 'Enter a whole number' : null),
    },
  });

  useEffect(() => {
    form.setInitialValues(initialValues);
    form.setValues(initialValues);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [initialValues]);

  const save = useMutation({
    mutationFn: async (values: EnvironmentFormValues) => {
      if (!environment) return { saved: await environmentsApi.create(toCreate(values)), changed: true };
      const patch = toPatch(initialValues, values);
      if (Object.keys(patch).length === 0) return { saved: environment, changed: false };
      return { saved: await environmentsApi.update(environment.id, environment.version, patch), changed: true };
    },
    onMutate: () => {
      setSubmitError(null);
      setUnplaced([]);
    },
    onSuccess: ({ saved, changed }) => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.environments.all });
      notifications.show({
        color: 'green',
        title: isEdit ? (changed ? 'Environment saved' : 'No changes to save') : 'Environment created',
        message: `${saved.name} (${saved.key})`,
      });
      onDone();
    },
    onError: (error) => {
      const { fieldErrors, unplaced: rest } = mapFieldErrors(error, FIELDS, ALIASES);
      form.setErrors(fieldErrors);
      setUnplaced(rest);
      setSubmitError(error);
    },
  });

  const reload = useMutation({
    mutationFn: () => environmentsApi.get(environment!.id),
    onSuccess: (fresh) => {
      setEnvironment(fresh);
      setSubmitError(null);
      setUnplaced([]);
      form.clearErrors();
      void queryClient.invalidateQueries({ queryKey: queryKeys.environments.all });
    },
    onError: (error) => setSubmitError(error),
  });

  const stale = isApiError(submitError, 412);
  const tierProps = form.getInputProps('tier');

  return (
    <form onSubmit={form.onSubmit((values) => save.mutate(values))} noValidate>
      <Stack gap="sm">
        {stale ? (
          <FormProblem error={submitError} title="Someone else changed this environment">
            <Text size="sm" mt={4}>
              It was edited after you opened it. Reload to get the latest version, then make your change again (your
              unsaved edits will be replaced).
            </Text>
            <Button mt="xs" variant="default" onClick={() => reload.mutate()} loading={reload.isPending}>
              Reload latest version
            </Button>
          </FormProblem>
        ) : (
          <FormProblem error={submitError} unplaced={unplaced} />
        )}
        <Group grow align="flex-start">
          <TextInput
            label="Key"
            description={isEdit ? 'The key cannot be changed.' : 'Lowercase letters, digits, dashes.'}
            placeholder="production"
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
            placeholder="Production (EU)"
            required
            maxLength={200}
            data-autofocus={isEdit || undefined}
            {...form.getInputProps('name')}
          />
        </Group>
        <Textarea
          label="Description"
          autosize
          minRows={2}
          maxRows={6}
          maxLength={4000}
          {...form.getInputProps('description')}
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
        <Group justify="flex-end" gap="xs" mt="xs">
          <Button variant="default" onClick={onDone} disabled={save.isPending}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending} disabled={stale}>
            {isEdit ? 'Save' : 'Create environment'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
