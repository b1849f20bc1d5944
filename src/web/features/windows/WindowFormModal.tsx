import { useMemo, useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Divider,
  Fieldset,
  Group,
  Modal,
  MultiSelect,
  Radio,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  TagsInput,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { isApiError } from '../../api/client';
import { windowsApi } from '../../api/endpoints';
import type { TimeWindow, WindowCreate, WindowKind, WindowPatch, WindowPreviewInput } from '../../api/types';
import { StaleVersionProblem } from '../../components/EntityFormParts';
import { FormProblem } from '../../components/FormProblem';
import { useOpenCount } from '../../components/useOpenCount';
import { viewerTimeZone } from '../../lib/format';
import { KIND_EFFECTS, KIND_LABELS, WINDOW_KINDS, isCompleteLocal, toInputLocal } from './model';
import { fieldErrorsOf, TIME_ZONES, useCatalogOptions, windowKeys } from './options';
import { RecurrenceBuilder } from './RecurrenceBuilder';
import { OccurrencePreview, usePreview } from './OccurrencePreview';

export interface WindowFormValues {
  name: string;
  description: string;
  kind: WindowKind | '';
  timeZone: string;
  start: string;
  end: string;
  /** RRULE value; empty: a one-off window */
  rrule: string;
  exdates: string[];
  scopeAll: boolean;
  services: string[];
  environments: string[];
  serviceTiers: string[];
  tags: string[];
}

/** Where the server's `errors[].path` lands in this form. */
export const WINDOW_ERROR_PATHS: Record<string, string> = {
  name: 'name',
  description: 'description',
  kind: 'kind',
  timeZone: 'timeZone',
  start: 'start',
  end: 'end',
  recurrence: 'rrule',
  rrule: 'rrule',
  'recurrence.rrule': 'rrule',
  'recurrence.exdates': 'exdates',
  exdates: 'exdates',
  scope: 'scope',
  'scope.all': 'scope',
  'scope.services': 'services',
  'scope.environments': 'environments',
  'scope.serviceTiers': 'serviceTiers',
  'scope.tags': 'tags',
};

function toValues(w: TimeWindow | null): WindowFormValues {
  return {
    name: w?.name ?? '',
    description: w?.description ?? '',
    kind: w?.kind ?? '',
    timeZone: w?.timeZone ?? viewerTimeZone,
    start: w ? toInputLocal(w.start) : '',
    end: w ? toInputLocal(w.end) : '',
    rrule: w?.recurrence?.rrule ?? '',
    exdates: (w?.recurrence?.exdates ?? []).map(toInputLocal),
    scopeAll: w?.scope.all ?? false,
    services: w?.scope.services.map((s) => s.key) ?? [],
    environments: w?.scope.environments.map((e) => e.key) ?? [],
    serviceTiers: w?.scope.serviceTiers.map(String) ?? [],
    tags: w?.scope.tags ?? [],
  };
}

function recurrenceOf(v: WindowFormValues) {
  return v.rrule.trim() ? { rrule: v.rrule.trim(), exdates: v.exdates } : null;
}

function toCreate(v: WindowFormValues): WindowCreate {
  const body: WindowCreate = {
    name: v.name.trim(),
    kind: v.kind as WindowKind,
    timeZone: v.timeZone,
    start: v.start,
    end: v.end,
    recurrence: recurrenceOf(v),
    scope: v.scopeAll
      ? { all: true }
      : {
          ...(v.services.length ? { services: v.services } : {}),
          ...(v.environments.length ? { environments: v.environments } : {}),
          ...(v.serviceTiers.length ? { serviceTiers: v.serviceTiers.map(Number) } : {}),
          ...(v.tags.length ? { tags: v.tags } : {}),
        },
  };
  if (v.description.trim()) body.description = v.description.trim();
  return body;
}

function toPatch(v: WindowFormValues): WindowPatch {
  const list = <T,>(xs: T[]) => (xs.length && !v.scopeAll ? xs : null);
  return {
    name: v.name.trim(),
    description: v.description.trim() || null,
    kind: v.kind as WindowKind,
    timeZone: v.timeZone,
    start: v.start,
    end: v.end,
    recurrence: recurrenceOf(v),
    scope: {
      all: v.scopeAll ? true : null,
      services: list(v.services),
      environments: list(v.environments),
      serviceTiers: list(v.serviceTiers.map(Number)),
      tags: list(v.tags),
    },
  };
}

/** What the preview needs, or null while start/end are incomplete. */
export function previewInputOf(v: Pick<WindowFormValues, 'kind' | 'timeZone' | 'start' | 'end' | 'rrule' | 'exdates'>): WindowPreviewInput | null {
  if (!v.timeZone || !isCompleteLocal(v.start) || !isCompleteLocal(v.end)) return null;
  return {
    ...(v.kind ? { kind: v.kind } : {}),
    timeZone: v.timeZone,
    start: v.start,
    end: v.end,
    recurrence: recurrenceOf(v as WindowFormValues),
  };
}

export function WindowFormModal({ opened, onClose, window }: { opened: boolean; onClose: () => void; window: TimeWindow | null }) {
  const session = useOpenCount(opened);
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      size={1100}
      title={<Text fw={600}>{window ? `Edit window “${window.name}”` : 'New time window'}</Text>}
    >
      <WindowForm key={`${window?.id ?? 'new'}-${session}`} window={window} onDone={onClose} />
    </Modal>
  );
}

function WindowForm({ window: initial, onDone }: { window: TimeWindow | null; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [window, setWindow] = useState(initial);
  const isEdit = window !== null;
  const initialValues = useMemo(() => toValues(window), [window]);
  const options = useCatalogOptions();
  const [submitError, setSubmitError] = useState<unknown>(null);
  const [unplaced, setUnplaced] = useState<{ path: string; message: string }[]>([]);

  const form = useForm<WindowFormValues>({
    mode: 'controlled',
    initialValues,
    validate: {
      name: (v: string) => (v.trim() ? (v.trim().length > 200 ? 'At most 200 characters' : null) : 'Name is required'),
      kind: (v: string) => (v ? null : 'Choose what the window does'),
      timeZone: (v: string) => (v ? null : 'Choose a time zone'),
      start: (v: string) => (isCompleteLocal(v) ? null : 'Enter the date and time of the first occurrence'),
      end: (v: string, values: WindowFormValues) =>
        !isCompleteLocal(v) ? 'Enter when the first occurrence ends' : isCompleteLocal(values.start) && v <= values.start ? 'The end must be after the start' : null,
      scope: (_v: unknown, values: WindowFormValues) =>
        values.scopeAll || values.services.length || values.environments.length || values.serviceTiers.length || values.tags.length
          ? null
          : 'Choose what the window covers, or switch on “Everything”',
    } as never,
  });
  const v = form.values;
  const preview = usePreview(previewInputOf(v));
  const previewErrors = useMemo(() => fieldErrorsOf(preview.error, WINDOW_ERROR_PATHS).fields, [preview.error]);
  /** A field's error: the form's own check first, then what the preview said about it. */
  const err = (field: keyof WindowFormValues | 'scope') => (form.errors[field] as string | undefined) ?? previewErrors[field];

  const save = useMutation({
    mutationFn: async (values: WindowFormValues) =>
      window ? windowsApi.update(window.id, window.version, toPatch(values)) : windowsApi.create(toCreate(values)),
    onMutate: () => {
      setSubmitError(null);
      setUnplaced([]);
    },
    onSuccess: (saved) => {
      void queryClient.invalidateQueries({ queryKey: windowKeys.all });
      notifications.show({ color: 'green', title: isEdit ? 'Window saved' : 'Window created', message: saved.name });
      onDone();
    },
    onError: (error) => {
      const { fields, unplaced: rest } = fieldErrorsOf(error, WINDOW_ERROR_PATHS);
      form.setErrors(fields);
      setUnplaced(rest);
      setSubmitError(error);
    },
  });

  const reload = useMutation({
    mutationFn: () => windowsApi.get(window!.id),
    onSuccess: (fresh) => {
      setWindow(fresh);
      form.setInitialValues(toValues(fresh));
      form.setValues(toValues(fresh));
      form.clearErrors();
      setSubmitError(null);
    },
    onError: setSubmitError,
  });
  const stale = isApiError(submitError, 412);

  const zoneData = useMemo(() => (TIME_ZONES.includes(v.timeZone) || !v.timeZone ? TIME_ZONES : [v.timeZone, ...TIME_ZONES]), [v.timeZone]);

  return (
    <form onSubmit={form.onSubmit((values) => save.mutate(values))} noValidate>
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
        <Stack gap="sm">
          {stale ? (
            <StaleVersionProblem
              error={submitError}
              title="Someone else changed this window"
              onReload={() => reload.mutate()}
              reloading={reload.isPending}
            />
          ) : (
            <FormProblem error={submitError} unplaced={unplaced} />
          )}
          <TextInput label="Name" required maxLength={200} placeholder="Weekend deployment freeze" data-autofocus {...form.getInputProps('name')} />
          <Textarea label="Description" autosize minRows={1} maxRows={4} maxLength={4000} {...form.getInputProps('description')} />

          <Radio.Group
            label="Kind"
            required
            value={v.kind}
            onChange={(k) => form.setFieldValue('kind', k as WindowKind)}
            error={err('kind')}
          >
            <Stack gap={6} mt={4}>
              {WINDOW_KINDS.map((k) => (
                <Radio key={k} value={k} label={KIND_LABELS[k]} description={KIND_EFFECTS[k]} />
              ))}
            </Stack>
          </Radio.Group>

          <Select
            label="Time zone"
            description="Times below are wall-clock times in this zone; the window keeps them across daylight-saving changes."
            required
            searchable
            limit={50}
            data={zoneData}
            value={v.timeZone || null}
            onChange={(z) => form.setFieldValue('timeZone', z ?? '')}
            nothingFoundMessage="No such time zone"
            error={err('timeZone')}
            data-testid="window-zone"
          />
          <Group grow align="flex-start">
            <TextInput
              type="datetime-local"
              label="Starts"
              description="First occurrence"
              required
              {...form.getInputProps('start')}
              error={err('start')}
            />
            <TextInput
              type="datetime-local"
              label="Ends"
              description="Each occurrence lasts as long"
              required
              {...form.getInputProps('end')}
              error={err('end')}
            />
          </Group>

          <RecurrenceBuilder
            start={v.start}
            rrule={v.rrule}
            exdates={v.exdates}
            onRule={(r) => form.setFieldValue('rrule', r)}
            onExdates={(x) => form.setFieldValue('exdates', x)}
            ruleError={err('rrule')}
            exdatesError={err('exdates')}
          />

          <Fieldset legend="Applies to" variant="filled" data-testid="window-scope">
            <Stack gap="xs">
              <Switch
                label="Everything: all services in all environments"
                checked={v.scopeAll}
                onChange={(e) => form.setFieldValue('scopeAll', e.currentTarget.checked)}
              />
              {!v.scopeAll ? (
                <>
                  <Text size="xs" c="dimmed">
                    Choices in different boxes must all match (AND); choices within one box are alternatives (OR). An empty box
                    matches anything.
                  </Text>
                  <SimpleGrid cols={2} spacing="xs">
                    <MultiSelect label="Services" searchable clearable data={options.services} {...form.getInputProps('services')} error={err('services')} />
                    <MultiSelect
                      label="Environments"
                      searchable
                      clearable
                      data={options.environments}
                      {...form.getInputProps('environments')}
                      error={err('environments')}
                    />
                    <MultiSelect
                      label="Service tiers"
                      data={['1', '2', '3', '4'].map((t) => ({ value: t, label: `Tier ${t}` }))}
                      {...form.getInputProps('serviceTiers')}
                      error={err('serviceTiers')}
                    />
                    <TagsInput label="Service tags" data={options.tags} clearable {...form.getInputProps('tags')} error={err('tags')} />
                  </SimpleGrid>
                </>
              ) : null}
              {err('scope') ? (
                <Text size="xs" c="red" role="alert">
                  {err('scope')}
                </Text>
              ) : null}
            </Stack>
          </Fieldset>
        </Stack>

        <Stack gap="sm" style={{ position: 'sticky', top: 64, alignSelf: 'start' }}>
          <OccurrencePreview preview={preview} timeZone={v.timeZone} onSkip={(local) => form.setFieldValue('exdates', [...new Set([...v.exdates, local])].sort())} recurring={Boolean(v.rrule.trim())} />
          <Divider />
          <Group justify="flex-end" gap="xs">
            <Button variant="default" onClick={onDone} disabled={save.isPending}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending} disabled={stale}>
              {isEdit ? 'Save window' : 'Create window'}
            </Button>
          </Group>
          {Object.keys(previewErrors).length && !submitError ? (
            <Alert color="yellow" variant="light" title="Not valid yet">
              <Text size="sm">Fix the fields marked in red before saving.</Text>
            </Alert>
          ) : null}
          {isEdit ? (
            <Badge variant="light" color="gray">
              Version {window.version}
            </Badge>
          ) : null}
        </Stack>
      </SimpleGrid>
    </form>
  );
}

