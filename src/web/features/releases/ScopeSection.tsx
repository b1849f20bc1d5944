import { useState } from 'react';
import { Anchor, Badge, Button, Checkbox, Group, Modal, NativeSelect, Paper, Progress, Stack, Table, Text, TextInput, Tooltip } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { IconAlertOctagon, IconPlus, IconTrendingUp } from '@tabler/icons-react';
import type { ProblemFieldError } from '../../api/client';
import { releasesApi, workItemsApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { Release, ScopeItem, StatusCategory } from '../../api/types';
import { ErrorState } from '../../components/ErrorState';
import { FormProblem } from '../../components/FormProblem';
import { mapFieldErrors } from '../../components/formErrors';
import { PermissionButton } from '../../components/PermissionButton';
import { TablePanel } from '../../components/ListPageStates';
import { TableSkeleton } from '../../components/TableSkeleton';
import { useOpenCount } from '../../components/useOpenCount';
import { formatDateTime } from '../../lib/format';

const CATEGORY_LABELS: Record<StatusCategory, string> = { todo: 'To do', in_progress: 'In progress', done: 'Done' };
const CATEGORY_COLORS: Record<StatusCategory, string> = { todo: 'gray', in_progress: 'blue', done: 'green' };

export function ScopeSection({ release }: { release: Release }) {
  const [adding, setAdding] = useState(false);
  const scope = useQuery({
    queryKey: queryKeys.releases.scope(release.key),
    queryFn: ({ signal }) => releasesApi.scope(release.key, signal),
  });

  const header = (
    <Group justify="space-between" mb="xs">
      <Text size="sm" c="dimmed">
        Work items in this release, by status. Items added or removed after the release was planned are marked as scope creep.
      </Text>
      <PermissionButton permission="work_item:write" size="xs" variant="light" leftSection={<IconPlus size={14} />} onClick={() => setAdding(true)}>
        Add work item
      </PermissionButton>
    </Group>
  );

  let body: React.ReactNode;
  if (scope.isPending) body = <TableSkeleton rows={3} label="Loading scope" />;
  else if (scope.isError) body = <ErrorState error={scope.error} title="Could not load the scope" onRetry={() => void scope.refetch()} />;
  else {
    const s = scope.data;
    const creepAdded = new Set(s.scopeCreep.filter((c) => c.change === 'added' && c.workItem).map((c) => c.workItem!.id));
    const rows: [StatusCategory, ScopeItem][] = [
      ...s.groups.todo.map((i) => ['todo', i] as [StatusCategory, ScopeItem]),
      ...s.groups.inProgress.map((i) => ['in_progress', i] as [StatusCategory, ScopeItem]),
      ...s.groups.done.map((i) => ['done', i] as [StatusCategory, ScopeItem]),
    ];
    const total = Math.max(s.counts.total, 1);
    body =
      s.counts.total === 0 ? (
        <Paper withBorder radius="md" p="md">
          <Text size="sm" c="dimmed" ta="center">
            No work items yet. Add the stories, bugs and tasks this release ships — connectors will fill this from your tracker later.
          </Text>
        </Paper>
      ) : (
        <Stack gap="xs">
          <Group gap="md" data-testid="scope-counts">
            <Text size="sm">
              <b>{s.counts.done}</b> of <b>{s.counts.total}</b> done
            </Text>
            <Text size="sm" c="dimmed">
              {s.counts.todo} to do · {s.counts.inProgress} in progress
            </Text>
            {s.counts.openBlockers ? (
              <Badge color="red" variant="light" leftSection={<IconAlertOctagon size={12} />}>
                {s.counts.openBlockers} open blocker{s.counts.openBlockers === 1 ? '' : 's'}
              </Badge>
            ) : null}
            {s.scopeCreep.length ? (
              <Badge color="orange" variant="light" leftSection={<IconTrendingUp size={12} />}>
                {s.scopeCreep.length} scope change{s.scopeCreep.length === 1 ? '' : 's'} after planning
              </Badge>
            ) : null}
          </Group>
          <Progress.Root size="md" role="group" aria-label={`Scope progress: ${s.counts.done} of ${s.counts.total} done, ${s.counts.inProgress} in progress`}>
            <Progress.Section value={(s.counts.done / total) * 100} color="green" aria-label="Done" />
            <Progress.Section value={(s.counts.inProgress / total) * 100} color="blue.3" aria-label="In progress" />
          </Progress.Root>
          <TablePanel>
            <Table aria-label="Scope" data-testid="scope-table" highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Item</Table.Th>
                  <Table.Th>Title</Table.Th>
                  <Table.Th>Type</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Flags</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map(([cat, item]) => (
                  <Table.Tr key={item.id} data-testid={`scope-row-${item.externalKey}`}>
                    <Table.Td>
                      <Text size="xs" c="dimmed" span>
                        {item.source}{' '}
                      </Text>
                      {item.url ? (
                        <Anchor href={item.url} target="_blank" rel="noreferrer" size="sm" className="sg-mono">
                          {item.externalKey}
                        </Anchor>
                      ) : (
                        <Text span size="sm" className="sg-mono">
                          {item.externalKey}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{item.title}</Text>
                      {item.assignee ? (
                        <Text size="xs" c="dimmed">
                          {item.assignee}
                        </Text>
                      ) : null}
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{item.type}</Text>
                    </Table.Td>
                    <Table.Td>
                      <Badge color={CATEGORY_COLORS[cat]} variant="light">
                        {CATEGORY_LABELS[cat]}
                      </Badge>
                      {item.status && item.status !== CATEGORY_LABELS[cat] ? (
                        <Text size="xs" c="dimmed">
                          {item.status}
                        </Text>
                      ) : null}
                    </Table.Td>
                    <Table.Td>
                      <Group gap={4}>
                        {item.blocking ? (
                          <Badge color="red" variant="outline" size="sm">
                            Blocking
                          </Badge>
                        ) : null}
                        {creepAdded.has(item.id) ? (
                          <Tooltip label="Added after the release was planned">
                            <Badge color="orange" variant="outline" size="sm" leftSection={<IconTrendingUp size={10} />} tabIndex={0}>
                              Scope creep
                            </Badge>
                          </Tooltip>
                        ) : null}
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </TablePanel>
          {s.truncated ? (
            <Text size="xs" c="dimmed">
              Some groups hold more items than shown here.
            </Text>
          ) : null}
          {s.scopeCreep.some((c) => c.change === 'removed') ? (
            <Stack gap={2}>
              <Text size="xs" fw={600}>
                Removed after planning
              </Text>
              {s.scopeCreep
                .filter((c) => c.change === 'removed')
                .map((c, i) => (
                  <Text key={i} size="xs" c="dimmed">
                    {c.workItem ? `${c.workItem.externalKey} ${c.workItem.title}` : 'a deleted item'} · {formatDateTime(c.at)}
                    {c.actor ? ` by ${c.actor.name}` : ''}
                  </Text>
                ))}
            </Stack>
          ) : null}
        </Stack>
      );
  }

  return (
    <>
      {header}
      {body}
      <AddWorkItemModal release={release} opened={adding} onClose={() => setAdding(false)} />
    </>
  );
}

interface ItemValues {
  source: string;
  externalKey: string;
  title: string;
  type: string;
  statusCategory: StatusCategory;
  blocking: boolean;
  url: string;
}

const ITEM_FIELDS = ['source', 'externalKey', 'title', 'type', 'statusCategory', 'blocking', 'url'] as const;

function AddWorkItemModal({ release, opened, onClose }: { release: Release; opened: boolean; onClose: () => void }) {
  const session = useOpenCount(opened);
  return (
    <Modal opened={opened} onClose={onClose} title={<Text fw={600}>Add a work item to {release.key}</Text>} size="lg">
      <AddWorkItemForm key={session} release={release} onDone={onClose} />
    </Modal>
  );
}

function AddWorkItemForm({ release, onDone }: { release: Release; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [unplaced, setUnplaced] = useState<ProblemFieldError[]>([]);
  const form = useForm<ItemValues>({
    mode: 'controlled',
    initialValues: { source: 'jira', externalKey: '', title: '', type: 'story', statusCategory: 'todo', blocking: false, url: '' },
    validate: {
      source: (v) => (/^[a-z][a-z0-9_-]{0,39}$/.test(v) ? null : 'Lowercase tracker name, e.g. jira or github'),
      externalKey: (v) => (v.trim() ? null : 'The key in the tracker, e.g. PAY-123'),
      title: (v) => (v.trim() ? null : 'Title is required'),
      url: (v) => (!v || /^https?:\/\//.test(v) ? null : 'An http or https link'),
    },
  });
  const add = useMutation({
    mutationFn: (v: ItemValues) =>
      workItemsApi.create({
        source: v.source,
        externalKey: v.externalKey.trim(),
        title: v.title.trim(),
        type: v.type,
        statusCategory: v.statusCategory,
        blocking: v.blocking,
        url: v.url.trim() || undefined,
        release: release.id,
      }),
    onMutate: () => setUnplaced([]),
    onSuccess: (item) => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.releases.all });
      void queryClient.invalidateQueries({ queryKey: ['gates'] });
      void queryClient.invalidateQueries({ queryKey: queryKeys.audit.all });
      notifications.show({ color: 'green', title: 'Work item added', message: `${item.externalKey} ${item.title}` });
      onDone();
    },
    onError: (error) => {
      const { fieldErrors, unplaced: rest } = mapFieldErrors(error, ITEM_FIELDS);
      form.setErrors(fieldErrors);
      setUnplaced(rest);
    },
  });
  return (
    <form onSubmit={form.onSubmit((v) => add.mutate(v))} noValidate>
      <Stack gap="sm">
        <FormProblem error={add.error} unplaced={unplaced} title="Could not add the work item" />
        <Group grow align="flex-start">
          <TextInput label="Source" required description="The tracker, e.g. jira or github." classNames={{ input: 'sg-mono' }} {...form.getInputProps('source')} />
          <TextInput label="External key" required placeholder="SHOP-123" classNames={{ input: 'sg-mono' }} data-autofocus {...form.getInputProps('externalKey')} />
        </Group>
        <TextInput label="Title" required maxLength={500} {...form.getInputProps('title')} />
        <Group grow align="flex-start">
          <NativeSelect label="Type" data={['feature', 'story', 'bug', 'task', 'chore']} {...form.getInputProps('type')} />
          <NativeSelect
            label="Status category"
            data={(Object.keys(CATEGORY_LABELS) as StatusCategory[]).map((c) => ({ value: c, label: CATEGORY_LABELS[c] }))}
            {...form.getInputProps('statusCategory')}
          />
        </Group>
        <TextInput label="Link" placeholder="https://tracker.example.com/browse/SHOP-123" {...form.getInputProps('url')} />
        <Checkbox
          label="Blocking"
          description="Blocks the release while it is not done (gates with “no open blockers” wait for it)."
          {...form.getInputProps('blocking', { type: 'checkbox' })}
        />
        <Group justify="flex-end" gap="xs">
          <Button variant="default" onClick={onDone} disabled={add.isPending}>
            Cancel
          </Button>
          <Button type="submit" loading={add.isPending}>
            Add work item
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
