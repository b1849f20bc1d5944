import { useState } from 'react';
import { Alert, Badge, Group, Paper, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { IconCheck, IconLock, IconX } from '@tabler/icons-react';
import { errorMessage, isApiError } from '../../api/client';
import { changesApi } from '../../api/endpoints';
import type { ChangeApprovals } from '../../api/types';
import { PermissionButton } from '../../components/PermissionButton';
import { ErrorState } from '../../components/ErrorState';
import { TableSkeleton } from '../../components/TableSkeleton';
import { useCurrentUser } from '../auth/session';
import { changeKeys, formatMoment } from './model';

const REASON_LABELS: Record<string, string> = {
  requester: 'requested this change',
  assignee: 'is assigned to this change',
  commit_author: 'authored its commits',
};

export function ApprovalsPanel({ number }: { number: string }) {
  const query = useQuery({ queryKey: changeKeys.approvals(number), queryFn: ({ signal }) => changesApi.approvals(number, signal) });
  return (
    <Paper withBorder p="md" radius="md" data-testid="approvals-panel">
      <Title order={3} size="h5" mb="xs">
        Approvals
      </Title>
      {query.isPending ? (
        <TableSkeleton rows={3} label="Loading approvals" />
      ) : query.isError ? (
        <ErrorState error={query.error} title="Could not load the approvals" onRetry={() => void query.refetch()} />
      ) : (
        <ApprovalsBody number={number} approvals={query.data} />
      )}
    </Paper>
  );
}

function ApprovalsBody({ number, approvals }: { number: string; approvals: ChangeApprovals }) {
  const me = useCurrentUser();
  const queryClient = useQueryClient();
  const [comment, setComment] = useState('');
  const decide = useMutation({
    mutationFn: (decision: 'approved' | 'rejected') => changesApi.decide(number, { decision, ...(comment.trim() ? { comment: comment.trim() } : {}) }),
    onSuccess: (result, decision) => {
      queryClient.setQueryData(changeKeys.approvals(number), result.approvals);
      void queryClient.invalidateQueries({ queryKey: changeKeys.detail(number) });
      void queryClient.invalidateQueries({ queryKey: changeKeys.inbox });
      setComment('');
      notifications.show({ color: decision === 'approved' ? 'green' : 'red', title: decision === 'approved' ? 'Approved' : 'Rejected', message: number });
    },
  });
  const current = approvals.decisions.filter((d) => d.round === approvals.round);
  const excludedMe = approvals.requirements.flatMap((r) => r.excluded).find((p) => p.id === me.id);
  const mayI = approvals.requirements.some((r) => r.mayApprove.some((p) => p.id === me.id || p.delegates.some((d) => d.id === me.id)));

  return (
    <Stack gap="sm">
      <Group gap="xs">
        <Text size="sm">Round {approvals.round}</Text>
        {approvals.met ? (
          <Badge miw="max-content" color="green" variant="light" leftSection={<IconCheck size={12} aria-hidden />}>
            Approved
          </Badge>
        ) : approvals.rejected ? (
          <Badge miw="max-content" color="red" variant="light" leftSection={<IconX size={12} aria-hidden />}>
            Rejected
          </Badge>
        ) : approvals.open ? (
          <Badge miw="max-content" color="violet" variant="light">
            Awaiting decisions
          </Badge>
        ) : (
          <Badge miw="max-content" color="gray" variant="light" leftSection={<IconLock size={12} aria-hidden />}>
            Not open
          </Badge>
        )}
      </Group>
      {approvals.autoApproved ? (
        <Alert color="green" variant="light" data-testid="auto-approved">
          {approvals.met ? 'No approvals are needed' : 'No approvals will be needed when the change reaches Authorize'}: {approvals.autoApproved}.
        </Alert>
      ) : null}
            {approvals.blockers.length && !approvals.met && (approvals.open || approvals.requirements.length > 0) ? (
        <Stack gap={2} data-testid="approval-blockers">
          {approvals.blockers.map((b) => (
            <Text key={b} size="sm" c="dimmed">
              {b}
            </Text>
          ))}
        </Stack>
      ) : null}
      {approvals.requirements.length ? (
        <Table aria-label="Approval requirements" data-testid="approval-requirements" verticalSpacing={6}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Group</Table.Th>
              <Table.Th>Approvals</Table.Th>
              <Table.Th>May still approve</Table.Th>
              <Table.Th>Excluded</Table.Th>
              <Table.Th>Due</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {approvals.requirements.map((r) => (
              <Table.Tr key={r.id} data-testid={`requirement-${r.group.key}`}>
                <Table.Td>
                  <Text size="sm" fw={500}>
                    {r.group.name}
                  </Text>
                  <Text size="xs" c="dimmed" className="sg-mono">
                    {r.group.key}
                  </Text>
                </Table.Td>
                <Table.Td data-testid="requirement-count">
                  <Group gap={6} wrap="nowrap">
                    <Text size="sm">
                      {r.approvals} of {r.needed}
                    </Text>
                    {r.met ? (
                      <Badge miw="max-content" color="green" variant="light" size="sm">
                        Met
                      </Badge>
                    ) : null}
                  </Group>
                </Table.Td>
                <Table.Td data-testid="may-approve">
                  <Text size="sm">
                    {r.mayApprove.length
                      ? r.mayApprove
                          .map((p) => (p.delegates.length ? `${p.name} (or ${p.delegates.map((d) => d.name).join(', ')})` : p.name))
                          .join(', ')
                      : '—'}
                  </Text>
                </Table.Td>
                <Table.Td data-testid="excluded">
                  {r.excluded.length ? (
                    r.excluded.map((p) => (
                      <Text key={p.id} size="sm">
                        {p.name}{' '}
                        <Text span size="xs" c="dimmed">
                          ({p.reasons.map((x) => REASON_LABELS[x] ?? x).join(', ')})
                        </Text>
                      </Text>
                    ))
                  ) : (
                    <Text size="sm">—</Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <Text size="sm" c={r.overdue ? 'red.8' : undefined}>
                    {formatMoment(r.dueAt)}
                    {r.overdue ? ' (overdue)' : ''}
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : (
        <Text size="sm" c="dimmed">
          No approvals are required yet: requirements are set when the change enters Authorize.
        </Text>
      )}

      {approvals.open ? (
        <Stack gap="xs" data-testid="decide">
          {excludedMe ? (
            <Text size="sm" c="dimmed">
              You {excludedMe.reasons.map((x) => REASON_LABELS[x] ?? x).join(' and ')}, so segregation of duties keeps you from approving it.
            </Text>
          ) : !mayI ? (
            <Text size="sm" c="dimmed">
              You are not among those who may still approve this change.
            </Text>
          ) : null}
          <Textarea
            label="Decision comment"
            description="Required for a rejection."
            autosize
            minRows={1}
            maxRows={4}
            maxLength={4000}
            value={comment}
            onChange={(e) => setComment(e.currentTarget.value)}
          />
          <Group gap="xs">
            <PermissionButton
              permission="change:approve"
              color="teal.9"
              leftSection={<IconCheck size={14} />}
              loading={decide.isPending && decide.variables === 'approved'}
              onClick={() => decide.mutate('approved')}
            >
              Approve
            </PermissionButton>
            <PermissionButton
              permission="change:approve"
              color="red"
              variant="light"
              leftSection={<IconX size={14} />}
              loading={decide.isPending && decide.variables === 'rejected'}
              onClick={() => decide.mutate('rejected')}
            >
              Reject
            </PermissionButton>
          </Group>
          {decide.isError ? (
            <Alert
              color="red"
              variant="light"
              role="alert"
              data-testid="decision-error"
              title={
                isApiError(decide.error, 403) ? 'You may not decide on this change' : 'The decision was not recorded'
              }
            >
              <Text size="sm">{errorMessage(decide.error)}</Text>
            </Alert>
          ) : null}
        </Stack>
      ) : null}

      {approvals.decisions.length ? (
        <Stack gap={4} data-testid="decisions">
          <Text size="sm" fw={500}>
            Decisions
          </Text>
          {approvals.decisions.map((d) => {
            // decisions of earlier rounds stay as history but no longer count: shown in grey, not faded (contrast)
            const past = d.round !== approvals.round;
            return (
              <Group key={d.id} gap="xs" wrap="nowrap" data-testid="decision">
                <Badge miw="max-content" color={past ? 'gray' : d.decision === 'approved' ? 'green' : 'red'} variant="light" size="sm">
                  {d.decision === 'approved' ? 'Approved' : 'Rejected'}
                </Badge>
                <Text size="sm" c={past ? 'dimmed' : undefined}>
                  {d.approver.name}
                  {d.onBehalfOf ? ` for ${d.onBehalfOf.name}` : ''} · {d.group.name} · {formatMoment(d.decidedAt)}
                  {d.round !== approvals.round ? ` · round ${d.round}` : ''}
                  {d.comment ? `: “${d.comment}”` : ''}
                </Text>
              </Group>
            );
          })}
          {current.length === 0 ? (
            <Text size="xs" c="dimmed">
              No decisions in this round yet.
            </Text>
          ) : null}
        </Stack>
      ) : null}
    </Stack>
  );
}
