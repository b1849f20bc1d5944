import { Group, Modal, MultiSelect, NativeSelect, SegmentedControl, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { releasesApi, releaseTemplatesApi, servicesApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { ReleaseCreate, ReleaseType } from '../../api/types';
import { FormProblem } from '../../components/FormProblem';
import { ENTITY_KEY_HINT, ENTITY_KEY_PATTERN, FormActions, useFormSubmitErrors } from '../../components/EntityFormParts';
import { useOpenCount } from '../../components/useOpenCount';
import { useTeams } from '../teams/useTeams';
import { dayInputToRfc3339, RELEASE_TYPE_LABELS, RELEASE_TYPES, todayInput } from './model';

const FIELDS = [
  'key', 'name', 'releaseVersion', 'type', 'parentId', 'ownerTeamId', 'services', 'plannedStart', 'plannedEnd', 'templateId', 'description',
] as const;
const ALIASES: Record<string, string> = { templateKey: 'templateId', parent: 'parentId', ownerTeam: 'ownerTeamId', version: 'releaseVersion' };

interface Values {
  mode: 'template' | 'blank';
  templateId: string;
  key: string;
  name: string;
  releaseVersion: string;
  type: string;
  parentId: string;
  ownerTeamId: string;
  services: string[];
  plannedStart: string;
  plannedEnd: string;
  description: string;
}

export function CreateReleaseModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const session = useOpenCount(opened);
  return (
    <Modal opened={opened} onClose={onClose} size="lg" title={<Text fw={600}>New release</Text>}>
      <CreateReleaseForm key={session} onDone={onClose} />
    </Modal>
  );
}

function CreateReleaseForm({ onDone }: { onDone: () => void }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const teams = useTeams();
  const templates = useQuery({ queryKey: queryKeys.releaseTemplates.all, queryFn: ({ signal }) => releaseTemplatesApi.list(signal), staleTime: 60_000 });
  const services = useQuery({ queryKey: queryKeys.services.options, queryFn: ({ signal }) => servicesApi.list({ limit: 200 }, signal), staleTime: 30_000 });
  const enterprises = useQuery({
    queryKey: queryKeys.releases.list({ type: 'enterprise', limit: 200 }),
    queryFn: ({ signal }) => releasesApi.list({ type: 'enterprise', limit: 200 }, signal),
    staleTime: 30_000,
  });
  const form = useForm<Values>({
    mode: 'controlled',
    initialValues: {
      mode: 'template', templateId: '', key: '', name: '', releaseVersion: '', type: 'project', parentId: '', ownerTeamId: '',
      services: [], plannedStart: todayInput(), plannedEnd: '', description: '',
    },
    validate: {
      key: (v) => (ENTITY_KEY_PATTERN.test(v.trim()) ? null : ENTITY_KEY_HINT),
      name: (v) => (v.trim() ? null : 'Name is required'),
      templateId: (v, values) => (values.mode === 'template' && !v ? 'Choose a template' : null),
      plannedStart: (v, values) => (values.mode === 'template' && !v ? 'A template lays its phases out from the planned start' : null),
      plannedEnd: (v, values) => (v && values.plannedStart && v < values.plannedStart ? 'The end must not be before the start' : null),
    },
  });
  const errors = useFormSubmitErrors(form.setErrors, FIELDS, ALIASES);
  const { submitError, unplaced } = errors;
  const v = form.values;
  const templateList = templates.data?.items ?? [];
  const chosen = templateList.find((t) => t.id === v.templateId);

  const create = useMutation({
    mutationFn: (values: Values) => {
      const body: ReleaseCreate = { key: values.key.trim(), name: values.name.trim(), type: values.type as ReleaseType };
      if (values.releaseVersion.trim()) body.releaseVersion = values.releaseVersion.trim();
      if (values.type === 'project' && values.parentId) body.parentId = values.parentId;
      if (values.ownerTeamId) body.ownerTeamId = values.ownerTeamId;
      if (values.services.length) body.services = values.services;
      if (values.plannedStart) body.plannedStart = dayInputToRfc3339(values.plannedStart);
      if (values.plannedEnd) body.plannedEnd = dayInputToRfc3339(values.plannedEnd);
      if (values.description.trim()) body.description = values.description.trim();
      if (values.mode === 'template') body.templateId = values.templateId;
      return releasesApi.create(body);
    },
    onMutate: errors.clear,
    onSuccess: (release) => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.releases.all });
      void queryClient.invalidateQueries({ queryKey: queryKeys.calendar.all });
      notifications.show({ color: 'green', title: 'Release created', message: `${release.name} (${release.key})` });
      onDone();
      void navigate({ to: '/releases/$key', params: { key: release.key } });
    },
    onError: errors.fail,
  });

  return (
    <form onSubmit={form.onSubmit((values) => create.mutate(values))} noValidate>
      <Stack gap="sm">
        <FormProblem error={submitError} unplaced={unplaced} title="Could not create the release" />
        <SegmentedControl
          aria-label="Start from"
          data={[
            { value: 'template', label: 'From a template' },
            { value: 'blank', label: 'Blank' },
          ]}
          {...form.getInputProps('mode')}
        />
        {v.mode === 'template' ? (
          <NativeSelect
            label="Template"
            required
            description={
              templates.isError
                ? 'Could not load the templates.'
                : chosen
                  ? `${chosen.definition.phases.length} phases (${chosen.definition.phases.map((p) => p.name).join(' → ')}), ${chosen.definition.gates?.length ?? 0} gates · version ${chosen.templateVersion}`
                  : templateList.length === 0 && !templates.isLoading
                    ? 'No templates yet: create one through the API, or start blank.'
                    : 'Its phases and gates are copied into the release; later template edits do not change it.'
            }
            data={[
              { value: '', label: templates.isLoading ? 'Loading…' : 'Choose a template…', disabled: true },
              ...templateList.map((t) => ({ value: t.id, label: `${t.name} (${t.key})` })),
            ]}
            {...form.getInputProps('templateId')}
          />
        ) : null}
        <Group grow align="flex-start">
          <TextInput label="Key" required placeholder="checkout-2026-12" autoComplete="off" spellCheck={false} classNames={{ input: 'sg-mono' }} data-autofocus {...form.getInputProps('key')} />
          <TextInput label="Name" required placeholder="Checkout December release" maxLength={200} {...form.getInputProps('name')} />
        </Group>
        <Group grow align="flex-start">
          <TextInput label="Version" placeholder="2026.12" maxLength={100} {...form.getInputProps('releaseVersion')} />
          <NativeSelect label="Type" required data={RELEASE_TYPES.map((t) => ({ value: t, label: RELEASE_TYPE_LABELS[t] }))} {...form.getInputProps('type')} />
        </Group>
        {v.type === 'project' ? (
          <NativeSelect
            label="Part of enterprise release"
            description="Optional: the release train this project release belongs to."
            data={[
              { value: '', label: 'None' },
              ...(enterprises.data?.items ?? []).map((r) => ({ value: r.id, label: `${r.name} (${r.key})` })),
            ]}
            {...form.getInputProps('parentId')}
          />
        ) : null}
        <Group grow align="flex-start">
          <NativeSelect
            label="Owner team"
            data={[{ value: '', label: 'No owner team' }, ...(teams.data?.items ?? []).map((t) => ({ value: t.id, label: `${t.name} (${t.key})` }))]}
            {...form.getInputProps('ownerTeamId')}
          />
          <MultiSelect
            label="Services"
            placeholder={v.services.length ? undefined : 'Search services'}
            data={(services.data?.items ?? []).map((s) => ({ value: s.id, label: `${s.name} (${s.key})` }))}
            searchable
            clearable
            hidePickedOptions
            comboboxProps={{ keepMounted: false }}
            {...form.getInputProps('services')}
          />
        </Group>
        <Group grow align="flex-start">
          <TextInput type="date" label="Planned start" required={v.mode === 'template'} {...form.getInputProps('plannedStart')} />
          <TextInput
            type="date"
            label="Planned end"
            description={v.mode === 'template' ? 'Leave empty to end with the last phase.' : undefined}
            {...form.getInputProps('plannedEnd')}
          />
        </Group>
        <Textarea label="Description" autosize minRows={2} maxRows={5} maxLength={10_000} {...form.getInputProps('description')} />
        <FormActions onCancel={onDone} submitLabel="Create release" submitting={create.isPending} />
      </Stack>
    </form>
  );
}
