import { useState } from 'react';
import { Alert, Badge, Group, List, Paper, Stack, Text, Textarea } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { IconCheck, IconX } from '@tabler/icons-react';
import { FormProblem } from '../../components/FormProblem';
import { PermissionButton } from '../../components/PermissionButton';
import { changeKeys } from '../changes/model';
import { cabApi, cabKeys, type BulkResultItem, type Decision } from './api';

const REJECT_NEEDS_COMMENT = 'A rejection needs a comment: say why, so the requester knows what to fix.';

/** Comment + approve/reject for the selected agenda rows; each change is decided on its own and reported. */
export function BulkDecisionBar({ boardKey, selected, onDecided }: { boardKey: string; selected: string[]; onDecided: () => void }) {
  const queryClient = useQueryClient();
  const [comment, setComment] = useState('');
  const [commentError, setCommentError] = useState<string | null>(null);
  const [results, setResults] = useState<{ decision: Decision; items: BulkResultItem[] } | null>(null);

  const decide = useMutation({
    mutationFn: (decision: Decision) =>
      cabApi.decide(boardKey, selected.map((change) => ({ change, decision, ...(comment.trim() ? { comment: comment.trim() } : {}) }))),
    onMutate: () => setResults(null),
    onSuccess: ({ items }, decision) => {
      setResults({ decision, items });
      const done = items.filter((i) => i.ok).length;
      notifications.show({
        color: done === items.length ? 'green' : 'yellow',
        title: `${done} of ${items.length} ${decision === 'approved' ? 'approved' : 'rejected'}`,
        message: done === items.length ? 'Every decision was recorded.' : 'Some decisions were refused: see the results below the agenda.',
      });
      setComment('');
      onDecided();
      void queryClient.invalidateQueries({ queryKey: cabKeys.all });
      void queryClient.invalidateQueries({ queryKey: changeKeys.all });
    },
  });

  const submit = (decision: Decision) => {
    if (decision === 'rejected' && !comment.trim()) {
      setCommentError(REJECT_NEEDS_COMMENT);
      return;
    }
    setCommentError(null);
    decide.mutate(decision);
  };
  const none = selected.length === 0;

  return (
    <Stack gap="sm">
      <Paper withBorder p="sm" radius="md" data-testid="bulk-bar">
        <Group align="flex-end" gap="sm" wrap="nowrap">
          <Textarea
            label="Comment"
            description="Recorded with each decision; required to reject."
            placeholder="e.g. Discussed in the meeting: backout plan is sound."
            autosize
            minRows={1}
            maxRows={4}
            maxLength={4000}
            style={{ flex: 1 }}
            value={comment}
            onChange={(e) => {
              setComment(e.currentTarget.value);
              setCommentError(null);
            }}
            error={commentError}
          />
          <PermissionButton
            permission="change:approve"
            color="green"
            leftSection={<IconCheck size={14} />}
            disabled={none}
            loading={decide.isPending && decide.variables === 'approved'}
            onClick={() => submit('approved')}
          >
            Approve selected ({selected.length})
          </PermissionButton>
          <PermissionButton
            permission="change:approve"
            color="red"
            variant="light"
            leftSection={<IconX size={14} />}
            disabled={none}
            loading={decide.isPending && decide.variables === 'rejected'}
            onClick={() => submit('rejected')}
          >
            Reject selected ({selected.length})
          </PermissionButton>
        </Group>
        {none ? (
          <Text size="xs" c="dimmed" mt={6}>
            Select changes on the agenda to decide on them together.
          </Text>
        ) : null}
      </Paper>
      <FormProblem error={decide.error} title="The decisions were not recorded" />
      {results ? <BulkResults decision={results.decision} items={results.items} /> : null}
    </Stack>
  );
}

function BulkResults({ decision, items }: { decision: Decision; items: BulkResultItem[] }) {
  const refused = items.filter((i) => !i.ok).length;
  return (
    <Alert
      color={refused ? 'yellow' : 'green'}
      variant="light"
      title={`${items.length - refused} of ${items.length} ${decision === 'approved' ? 'approved' : 'rejected'}${refused ? `, ${refused} refused` : ''}`}
      data-testid="bulk-results"
    >
      <List spacing={4} size="sm">
        {items.map((i) => (
          <List.Item key={i.change} data-testid={`result-${i.change}`}>
            <Group gap={6} wrap="nowrap" align="flex-start">
              <Text span className="sg-mono" size="sm" fw={500}>
                {i.change}
              </Text>
              {i.ok ? (
                <Badge miw="max-content" size="sm" variant="light" color={decision === 'approved' ? 'green' : 'red'} leftSection={decision === 'approved' ? <IconCheck size={11} aria-hidden /> : <IconX size={11} aria-hidden />}>
                  {decision === 'approved' ? 'Approved' : 'Rejected'}
                </Badge>
              ) : (
                <>
                  <Badge miw="max-content" size="sm" variant="light" color="orange">
                    Refused
                  </Badge>
                  <Text size="sm">{i.problem?.detail}</Text>
                </>
              )}
            </Group>
          </List.Item>
        ))}
      </List>
    </Alert>
  );
}
