import { Group, Modal, NumberInput, Select, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { ENTITY_KEY_HINT, ENTITY_KEY_PATTERN, FormActions, useFormSubmitErrors } from '../../components/EntityFormParts';
import { FormProblem } from '../../components/FormProblem';
import { useOpenCount } from '../../components/useOpenCount';
import { viewerTimeZone } from '../../lib/format';
import { TIME_ZONES } from '../windows/options';
import { cabApi, cabKeys, type CabCreate } from './api';

interface Values {
  key: string;
  name: string;
  group: string;
  timeZone: string;
  firstMeeting: string;
  durationMinutes: number | string;
  rrule: string;
}

const FIELDS = ['key', 'name', 'group', 'timeZone', 'firstMeeting', 'durationMinutes', 'rrule'] as const;

const INITIAL: Values = { key: '', name: '', group: '', timeZone: viewerTimeZone, firstMeeting: '', durationMinutes: 60, rrule: 'FREQ=WEEKLY;BYDAY=TU' };

export function CabBoardFormModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const session = useOpenCount(opened);
  return (
    <Modal opened={opened} onClose={onClose} size="lg" title={<Text fw={600}>New advisory board</Text>}>
      <CabBoardForm key={session} onDone={onClose} />
    </Modal>
  );
}

function CabBoardForm({ onDone }: { onDone: () => void }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const groups = useQuery({ queryKey: cabKeys.groups, queryFn: ({ signal }) => cabApi.groups(signal), staleTime: 60_000 });
  const form = useForm<Values>({
    mode: 'controlled',
    initialValues: INITIAL,
    validate: {
      key: (v) => (ENTITY_KEY_PATTERN.test(v.trim()) ? null : ENTITY_KEY_HINT),
      name: (v) => (v.trim() ? null : 'Name is required'),
      group: (v) => (v ? null : 'Choose the approver group whose members sit on the board'),
      timeZone: (v) => (v ? null : 'Choose a time zone'),
      firstMeeting: (v) => (v ? null : 'Enter the date and time of the first meeting'),
      durationMinutes: (v) => (typeof v === 'number' && v >= 5 && v <= 1440 ? null : 'Between 5 and 1440 minutes'),
      rrule: (v) => (v.trim() ? null : 'Enter how often the board meets, e.g. FREQ=WEEKLY;BYDAY=TU'),
    },
  });
  const errors = useFormSubmitErrors(form.setErrors, FIELDS);

  const save = useMutation({
    mutationFn: (v: Values) => cabApi.create({ ...v, key: v.key.trim(), name: v.name.trim(), rrule: v.rrule.trim(), durationMinutes: Number(v.durationMinutes) } satisfies CabCreate),
    onMutate: errors.clear,
    onSuccess: (board) => {
      void queryClient.invalidateQueries({ queryKey: cabKeys.all });
      notifications.show({ color: 'green', title: 'Board created', message: `${board.name} (${board.key})` });
      onDone();
      void navigate({ to: '/cab/$key', params: { key: board.key } });
    },
    onError: errors.fail,
  });

  const groupOptions = (groups.data?.items ?? []).map((g) => ({ value: g.key, label: `${g.name} (${g.memberCount} members)` }));

  return (
    <form onSubmit={form.onSubmit((v) => save.mutate(v))} noValidate>
      <Stack gap="sm">
        <FormProblem error={errors.submitError} unplaced={errors.unplaced} title="Could not create the board" />
        <Group grow align="flex-start">
          <TextInput label="Key" description="Lowercase letters, digits, dashes." placeholder="weekly-cab" required data-autofocus classNames={{ input: 'sg-mono' }} {...form.getInputProps('key')} />
          <TextInput label="Name" placeholder="Weekly CAB" required maxLength={200} {...form.getInputProps('name')} />
        </Group>
        <Select
          label="Approver group"
          description="Its members sit on the board; changes whose approval needs this group appear on the agenda."
          required
          searchable
          data={groupOptions}
          nothingFoundMessage={groups.isPending ? 'Loading groups…' : 'No such approver group'}
          {...form.getInputProps('group')}
        />
        <Select
          label="Time zone"
          description="The board meets at the same wall-clock time in this zone, across daylight-saving changes."
          required
          searchable
          limit={50}
          data={TIME_ZONES}
          {...form.getInputProps('timeZone')}
        />
        <Group grow align="flex-start">
          <TextInput type="datetime-local" label="First meeting" description="Local time in the zone above" required {...form.getInputProps('firstMeeting')} />
          <NumberInput label="Duration (minutes)" min={5} max={1440} step={15} required {...form.getInputProps('durationMinutes')} />
        </Group>
        <TextInput
          label="Recurrence (RRULE)"
          description="RFC 5545 rule without DTSTART, e.g. FREQ=WEEKLY;BYDAY=TU or FREQ=WEEKLY;INTERVAL=2;BYDAY=TH"
          required
          spellCheck={false}
          classNames={{ input: 'sg-mono' }}
          {...form.getInputProps('rrule')}
        />
        <FormActions onCancel={onDone} submitLabel="Create board" submitting={save.isPending} />
      </Stack>
    </form>
  );
}
