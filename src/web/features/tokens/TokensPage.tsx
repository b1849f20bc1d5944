import { useState } from 'react';
import {
  Badge,
  Button,
  Code,
  Group,
  Modal,
  NativeSelect,
  Stack,
  Table,
  Text,
  TextInput,
  Tooltip,
  VisuallyHidden,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  IconCircleCheck,
  IconCircleX,
  IconClockX,
  IconKey,
  IconPlus,
} from '@tabler/icons-react';
import { tokensApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { ApiToken, TokenCreated } from '../../api/types';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { useConfirmedAction } from '../../components/useConfirmedAction';
import { CopyableSecretField, SecretShownOnceWarning } from '../../components/SecretShownOnce';
import { EmptyStatePanel, ListPageStates, TablePanel } from '../../components/ListPageStates';
import { FormProblem } from '../../components/FormProblem';
import { FormActions, useFormSubmitErrors } from '../../components/EntityFormParts';
import { PageHeader } from '../../components/PageHeader';
import { PermissionButton } from '../../components/PermissionButton';
import { RevokeActionIcon } from '../../components/RowActions';
import { formatDateTime, formatRelative, viewerTimeZone } from '../../lib/format';

type TokenStatus = 'active' | 'revoked' | 'expired';

function tokenStatus(token: ApiToken, now = Date.now()): TokenStatus {
  if (token.revokedAt) return 'revoked';
  if (token.expiresAt && new Date(token.expiresAt).getTime() <= now) return 'expired';
  return 'active';
}

function StatusBadge({ status }: { status: TokenStatus }) {
  if (status === 'active')
    return (
      <Badge color="green" leftSection={<IconCircleCheck size={12} />}>
        Active
      </Badge>
    );
  if (status === 'revoked')
    return (
      <Badge color="red" leftSection={<IconCircleX size={12} />}>
        Revoked
      </Badge>
    );
  return (
    <Badge color="gray" leftSection={<IconClockX size={12} />}>
      Expired
    </Badge>
  );
}

const EXPIRY_OPTIONS = [
  { value: '7', label: '7 days' },
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '180', label: '180 days' },
  { value: '365', label: '1 year' },
];

export function TokensPage() {
  const queryClient = useQueryClient();
  const [createOpen, setCreateOpen] = useState(false);
  const [created, setCreated] = useState<TokenCreated | null>(null);

  const tokens = useQuery({
    queryKey: queryKeys.tokens.all,
    queryFn: ({ signal }) => tokensApi.list(signal),
  });

  const revoke = useConfirmedAction({
    action: (token: ApiToken) => tokensApi.revoke(token.id),
    onSuccess: (token) => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.tokens.all });
      notifications.show({ color: 'green', title: 'Token revoked', message: `${token.name} can no longer be used.` });
    },
  });
  const revoking = revoke.target;

  const items = tokens.data?.items ?? [];
  const newButton = (
    <PermissionButton permission="token:create" leftSection={<IconPlus size={14} />} onClick={() => setCreateOpen(true)}>
      New token
    </PermissionButton>
  );

  return (
    <>
      <PageHeader
        title="API tokens"
        description="Tokens let scripts, CI pipelines and the CLI call the Shipgate API as you. Treat them like passwords."
        actions={newButton}
      />

      <ListPageStates
        query={tokens}
        skeletonRows={3}
        loadingLabel="Loading tokens"
        errorTitle="Could not load tokens"
        isEmpty={items.length === 0}
        empty={
          <EmptyStatePanel
            icon={<IconKey size={28} />}
            title="No API tokens"
            description="Create a token to use the API from CI or the command line: send it as “Authorization: Bearer sg_…”."
            action={
              <PermissionButton permission="token:create" leftSection={<IconPlus size={14} />} onClick={() => setCreateOpen(true)}>
                Create your first token
              </PermissionButton>
            }
          />
        }
      >
        <TablePanel minWidth={760}>
          <Table highlightOnHover aria-label="API tokens" data-testid="tokens-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Kind</Table.Th>
                <Table.Th>Prefix</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th>Expires</Table.Th>
                <Table.Th>Last used</Table.Th>
                <Table.Th>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((token) => {
                const status = tokenStatus(token);
                return (
                  <Table.Tr key={token.id}>
                    <Table.Td>
                      <Text size="sm" fw={500}>
                        {token.name}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <StatusBadge status={status} />
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{token.kind === 'service_account' ? 'Service account' : 'Personal'}</Text>
                    </Table.Td>
                    <Table.Td>
                      <Code>{token.prefix}…</Code>
                    </Table.Td>
                    <Table.Td>
                      <TimeCell iso={token.createdAt} />
                    </Table.Td>
                    <Table.Td>{token.expiresAt ? <TimeCell iso={token.expiresAt} /> : <Text size="sm">Never</Text>}</Table.Td>
                    <Table.Td>
                      {token.lastUsedAt ? (
                        <TimeCell iso={token.lastUsedAt} />
                      ) : (
                        <Text size="sm" c="dimmed">
                          Never used
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td className="sg-table-row-actions">
                      {status === 'revoked' ? null : (
                        <RevokeActionIcon
                          name={token.name}
                          onClick={() => revoke.ask(token)}
                        />
                      )}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </TablePanel>
      </ListPageStates>

      <Modal
        opened={createOpen}
        onClose={() => setCreateOpen(false)}
        title={<Text fw={600}>New API token</Text>}
        size="md"
      >
        {createOpen ? (
          <CreateTokenForm
            onCancel={() => setCreateOpen(false)}
            onCreated={(result) => {
              setCreateOpen(false);
              setCreated(result);
              void queryClient.invalidateQueries({ queryKey: queryKeys.tokens.all });
            }}
          />
        ) : null}
      </Modal>

      <Modal
        opened={created !== null}
        onClose={() => setCreated(null)}
        title={<Text fw={600}>Copy your new token</Text>}
        size="lg"
        closeOnClickOutside={false}
      >
        {created ? <SecretOnce created={created} onDone={() => setCreated(null)} /> : null}
      </Modal>

      <ConfirmDialog
        {...revoke.dialogProps}
        title={revoking ? `Revoke token “${revoking.name}”?` : 'Revoke token'}
        confirmLabel="Revoke token"
      >
        <Text size="sm">
          Anything using this token will stop working immediately. Revoking cannot be undone — create a new token if you
          need access again.
        </Text>
      </ConfirmDialog>
    </>
  );
}

function TimeCell({ iso }: { iso: string }) {
  return (
    <Tooltip label={`${formatDateTime(iso)} (${viewerTimeZone})`}>
      <Text size="sm" c="dimmed">
        {formatRelative(iso)}
      </Text>
    </Tooltip>
  );
}

function CreateTokenForm({ onCancel, onCreated }: { onCancel: () => void; onCreated: (r: TokenCreated) => void }) {
  const form = useForm({
    mode: 'controlled',
    initialValues: { name: '', expiresInDays: '30' },
    validate: {
      name: (v: string) => (!v.trim() ? 'Name the token after where it will be used' : v.length > 200 ? 'At most 200 characters' : null),
    },
  });
  const errors = useFormSubmitErrors(form.setErrors, ['name', 'expiresInDays']);
  const { submitError, unplaced } = errors;
  const create = useMutation({
    mutationFn: (values: { name: string; expiresInDays: string }) =>
      tokensApi.create(values.name.trim(), Number(values.expiresInDays)),
    onMutate: errors.clear,
    onSuccess: onCreated,
    onError: errors.fail,
  });
  return (
    <form onSubmit={form.onSubmit((v) => create.mutate(v))} noValidate>
      <Stack gap="sm">
        <FormProblem error={submitError} unplaced={unplaced} title="Could not create the token" />
        <TextInput
          label="Name"
          description="Where it will be used, e.g. “GitHub Actions deploy”."
          required
          data-autofocus
          maxLength={200}
          {...form.getInputProps('name')}
        />
        <NativeSelect label="Expires in" data={EXPIRY_OPTIONS} {...form.getInputProps('expiresInDays')} />
        <FormActions onCancel={onCancel} submitLabel="Create token" submitting={create.isPending} />
      </Stack>
    </form>
  );
}

function SecretOnce({ created, onDone }: { created: TokenCreated; onDone: () => void }) {
  return (
    <Stack gap="sm">
      <SecretShownOnceWarning title="This is the only time you will see this token">
        Copy it now and store it somewhere safe, such as your CI secret store. Shipgate keeps only a hash; if you lose it,
        revoke it and create a new one.
      </SecretShownOnceWarning>
      <Text size="sm">
        Token <b>{created.token.name}</b>
        {created.token.expiresAt ? ` — expires ${formatDateTime(created.token.expiresAt)} (${viewerTimeZone})` : ''}
      </Text>
      <CopyableSecretField
        label="Token secret"
        value={created.secret}
        testId="token-secret"
        copyTimeout={2500}
        copiedColor="teal"
      />
      <Group justify="flex-end" mt="xs">
        <Button variant="default" onClick={onDone}>
          I have copied it
        </Button>
      </Group>
    </Stack>
  );
}
