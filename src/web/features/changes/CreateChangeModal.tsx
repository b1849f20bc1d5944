import { Group, Modal, MultiSelect, NativeSelect, SegmentedControl, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { changesApi, environmentsApi, servicesApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { ChangeCreate, ChangeType, SecurityLevel } from '../../api/types';
import { FormProblem } from '../../components/FormProblem';
import { FormActions, useFormSubmitErrors } from '../../components/EntityFormParts';
import { useOpenCount } from '../../components/useOpenCount';
import { useTeams } from '../teams/useTeams';
import { CHANGE_TYPE_LABELS, CHANGE_TYPES, changeKeys, localInputToIso, SecurityImpactSelect } from './model';

const FIELDS = [
  'type', 'title', 'description', 'justification', 'services', 'environments', 'assignmentTeam', 'securityImpact', 'plannedStart', 'plannedEnd',
  'implementationPlan', 'backoutPlan', 'testPlan', 'emergencyReason', 'templateId',
] as const;
const ALIASES: Record<string, string> = { templateKey: 'templateId', 'securityImpact.level': 'securityImpact' };

interface Values {
  type: ChangeType;
  templateId: string;
  title: string;
  description: string;
  justification: string;
  services: string[];
  environments: string[];
  assignmentTeam: string;
  securityImpact: '' | SecurityLevel;
  plannedStart: string;
  plannedEnd: string;
  implementationPlan: string;
  backoutPlan: string;
  testPlan: string;
  emergencyReason: string;
}

export function CreateChangeModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const session = useOpenCount(opened);
  return (
    <Modal opened={opened} onClose={onClose} size="xl" title={<Text fw={600}>New change</Text>}>
      <CreateChangeForm key={session} onDone={onClose} />
    </Modal>
  );
}

function CreateChangeForm({ onDone }: { onDone: () => void }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const teams = useTeams();
  const services = useQuery({ queryKey: queryKeys.services.options, queryFn: ({ signal }) => servicesApi.list({ limit: 200 }, signal), staleTime: 30_000 });
  const environments = useQuery({
    queryKey: queryKeys.environments.options,
    queryFn: ({ signal }) => environmentsApi.list({ limit: 200 }, signal),
    staleTime: 30_000,
  });
  const form = useForm<Values>({
    mode: 'controlled',
    initialValues: {
      type: 'normal', templateId: '', title: '', description: '', justification: '', services: [], environments: [], assignmentTeam: '',
      securityImpact: '', plannedStart: '', plannedEnd: '', implementationPlan: '', backoutPlan: '', testPlan: '', emergencyReason: '',
    },
    validate: {
      title: (v, values) => (v.trim() || values.type === 'standard' ? null : 'Title is required'),
      emergencyReason: (v, values) => (values.type === 'emergency' && !v.trim() ? 'An emergency change needs its reason' : null),
      templateId: (v, values) => (values.type === 'standard' && !v ? 'A standard change is made from a template' : null),
      plannedEnd: (v, values) => (v && values.plannedStart && v <= values.plannedStart ? 'The end must be after the start' : null),
    },
  });
  const v = form.values;
  const templates = useQuery({
    queryKey: ['change-templates', 'active'],
    queryFn: ({ signal }) => changesApi.templates(signal),
    staleTime: 60_000,
    enabled: v.type === 'standard',
  });
  const errors = useFormSubmitErrors(form.setErrors, FIELDS, ALIASES);
  const { submitError, unplaced } = errors;
  const hasProduction = (environments.data?.items ?? []).some((e) => v.environments.includes(e.id) && e.tier === 'production');

  const create = useMutation({
    mutationFn: (values: Values) => {
      const body: ChangeCreate = { type: values.type, title: values.title.trim() };
      const text = ['description', 'justification', 'implementationPlan', 'backoutPlan', 'testPlan'] as const;
      for (const k of text) if (values[k].trim()) body[k] = values[k].trim();
      if (values.services.length) body.services = values.services;
      if (values.environments.length) body.environments = values.environments;
      if (values.assignmentTeam) body.assignmentTeam = values.assignmentTeam;
      if (values.securityImpact) body.securityImpact = { level: values.securityImpact };
      const start = localInputToIso(values.plannedStart);
      const end = localInputToIso(values.plannedEnd);
      if (start) body.plannedStart = start;
      if (end) body.plannedEnd = end;
      if (values.type === 'emergency') body.emergencyReason = values.emergencyReason.trim();
      if (values.type === 'standard') body.templateId = values.templateId;
      return changesApi.create(body);
    },
    onMutate: errors.clear,
    onSuccess: (change) => {
      void queryClient.invalidateQueries({ queryKey: changeKeys.all });
      notifications.show({ color: 'green', title: 'Change created', message: `${change.number}: ${change.title}` });
      onDone();
      void navigate({ to: '/changes/$number', params: { number: change.number } });
    },
    onError: errors.fail,
  });

  return (
    <form onSubmit={form.onSubmit((values) => create.mutate(values))} noValidate>
      <Stack gap="sm">
        <FormProblem error={submitError} unplaced={unplaced} title="Could not create the change" />
        <SegmentedControl
          aria-label="Change type"
          data={CHANGE_TYPES.map((t) => ({ value: t, label: CHANGE_TYPE_LABELS[t] }))}
          {...form.getInputProps('type')}
        />
        <Text size="xs" c="dimmed">
          {v.type === 'standard'
            ? 'Pre-approved: made from a standard change template, inside its scope.'
            : v.type === 'emergency'
              ? 'Goes to the emergency CAB at once; a post-implementation review follows.'
              : 'Assessed for risk and conflicts, then authorised by the CAB.'}
        </Text>
        {v.type === 'standard' ? (
          <NativeSelect
            label="Template"
            required
            data={[
              { value: '', label: templates.isLoading ? 'Loading…' : 'Choose a template…', disabled: true },
              ...(templates.data?.items ?? []).map((t) => ({ value: t.id, label: `${t.name} (${t.key}) · v${t.templateVersion}` })),
            ]}
            {...form.getInputProps('templateId')}
          />
        ) : null}
        {v.type === 'emergency' ? (
          <Textarea label="Emergency reason" required autosize minRows={2} maxLength={4000} {...form.getInputProps('emergencyReason')} />
        ) : null}
        <TextInput
          label="Title"
          required={v.type !== 'standard'}
          description={v.type === 'standard' ? 'Empty: the template’s title.' : undefined}
          maxLength={200}
          data-autofocus
          {...form.getInputProps('title')}
        />
        <Group grow align="flex-start">
          <Textarea label="Description" description="What changes. Needed before Assess." autosize minRows={2} maxRows={5} {...form.getInputProps('description')} />
          <Textarea label="Justification" description="Why. Needed before Assess." autosize minRows={2} maxRows={5} {...form.getInputProps('justification')} />
        </Group>
        <Group grow align="flex-start">
          <MultiSelect
            label="Services"
            placeholder={v.services.length ? undefined : 'Search services'}
            data={(services.data?.items ?? []).map((s) => ({ value: s.key, label: `${s.name} (${s.key})` }))}
            searchable
            clearable
            hidePickedOptions
            comboboxProps={{ keepMounted: false }}
            {...form.getInputProps('services')}
          />
          <MultiSelect
            label="Environments"
            placeholder={v.environments.length ? undefined : 'Search environments'}
            data={(environments.data?.items ?? []).map((e) => ({ value: e.id, label: `${e.name} (${e.key})` }))}
            searchable
            clearable
            hidePickedOptions
            comboboxProps={{ keepMounted: false }}
            {...form.getInputProps('environments')}
          />
        </Group>
        <Group grow align="flex-start">
          <NativeSelect
            label="Assignment team"
            description="Needed before Assess."
            data={[{ value: '', label: 'No team yet' }, ...(teams.data?.items ?? []).map((t) => ({ value: t.key, label: `${t.name} (${t.key})` }))]}
            {...form.getInputProps('assignmentTeam')}
          />
          <SecurityImpactSelect hasProduction={hasProduction} {...form.getInputProps('securityImpact')} />
        </Group>
        <Group grow align="flex-start">
          <TextInput type="datetime-local" label="Planned start" description="In your time zone." {...form.getInputProps('plannedStart')} />
          <TextInput type="datetime-local" label="Planned end" description="In your time zone." {...form.getInputProps('plannedEnd')} />
        </Group>
        <Textarea label="Implementation plan" autosize minRows={2} maxRows={6} {...form.getInputProps('implementationPlan')} />
        <Group grow align="flex-start">
          <Textarea
            label="Backout plan"
            description={v.type === 'standard' ? undefined : 'Needed before Authorize.'}
            autosize
            minRows={2}
            maxRows={6}
            {...form.getInputProps('backoutPlan')}
          />
          <Textarea label="Test plan" autosize minRows={2} maxRows={6} {...form.getInputProps('testPlan')} />
        </Group>
        <FormActions onCancel={onDone} submitLabel="Create change" submitting={create.isPending} />
      </Stack>
    </form>
  );
}
