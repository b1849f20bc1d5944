import { Anchor, Group, Table, Text, Tooltip, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { IconEdit, IconPlus, IconTemplate, IconTrash } from '@tabler/icons-react';
import { releaseTemplatesApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { ReleaseTemplate } from '../../api/types';
import { AnchorLink } from '../../components/AnchorLink';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { CursorLoadMore, EmptyStatePanel, ListPageStates, TablePanel } from '../../components/ListPageStates';
import { PageHeader } from '../../components/PageHeader';
import { PermissionActionIcon, PermissionButton } from '../../components/PermissionButton';
import { useConfirmedAction } from '../../components/useConfirmedAction';
import { useCursorList } from '../../components/useCursorList';
import { useEditDialog } from '../../components/useEditDialog';
import { formatDateTime, formatRelative } from '../../lib/format';
import { usePermission } from '../auth/session';
import { TemplateFormModal } from './TemplateFormModal';

const PAGE_SIZE = 50;
const WRITE = 'release_template:write';

export function ReleaseTemplatesPage() {
  const queryClient = useQueryClient();
  const canWrite = usePermission(WRITE);
  const dialog = useEditDialog<ReleaseTemplate>();

  const { list, items } = useCursorList({
    queryKey: queryKeys.releaseTemplates.list({}),
    fetchPage: (cursor, signal) => releaseTemplatesApi.page({ limit: PAGE_SIZE, cursor }, signal),
  });

  const remove = useConfirmedAction({
    action: (t: ReleaseTemplate) => releaseTemplatesApi.remove(t.id, t.version),
    onSuccess: (t) => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.releaseTemplates.all });
      notifications.show({ color: 'green', title: 'Release template deleted', message: `${t.name} (${t.key})` });
    },
  });
  const deleting = remove.target;

  return (
    <>
      <Text size="sm" mb={4}>
        <AnchorLink to="/releases" size="sm">
          Releases
        </AnchorLink>{' '}
        <Text span c="dimmed" size="sm">
          / Templates
        </Text>
      </Text>
      <PageHeader
        title="Release templates"
        description="Reusable phases, gates and runbook tasks. A release copies its template when it is made; later edits create a new template version and leave existing releases alone."
        actions={
          <PermissionButton permission={WRITE} leftSection={<IconPlus size={14} />} onClick={dialog.openCreate}>
            New template
          </PermissionButton>
        }
      />

      <ListPageStates
        query={list}
        loadingLabel="Loading release templates"
        errorTitle="Could not load release templates"
        isEmpty={items.length === 0}
        empty={
          <EmptyStatePanel
            icon={<IconTemplate size={28} />}
            title="No release templates yet"
            description="Describe how your releases usually run — phases, the gates between them and who signs off — once, and start every release from it."
            action={
              <PermissionButton permission={WRITE} leftSection={<IconPlus size={14} />} onClick={dialog.openCreate}>
                Create your first template
              </PermissionButton>
            }
          />
        }
      >
        <TablePanel minWidth={820}>
          <Table highlightOnHover stickyHeader aria-label="Release templates" data-testid="templates-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Key</Table.Th>
                <Table.Th>Name</Table.Th>
                <Table.Th>Template version</Table.Th>
                <Table.Th>Phases</Table.Th>
                <Table.Th>Gates</Table.Th>
                <Table.Th>Updated</Table.Th>
                <Table.Th>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((t) => (
                <Table.Tr key={t.id} data-testid={`template-row-${t.key}`}>
                  <Table.Td>
                    <Text className="sg-mono" fw={500} size="sm">
                      {t.key}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Tooltip label={t.description} disabled={!t.description} multiline maw={360}>
                      {canWrite ? (
                        <Anchor component="button" type="button" size="sm" c="inherit" onClick={() => dialog.openEdit(t)}>
                          {t.name}
                        </Anchor>
                      ) : (
                        <Text size="sm">{t.name}</Text>
                      )}
                    </Tooltip>
                  </Table.Td>
                  <Table.Td data-testid="template-version">
                    <Text size="sm">v{t.templateVersion}</Text>
                  </Table.Td>
                  <Table.Td data-testid="template-phases-count">
                    <Tooltip label={t.definition.phases.map((p) => p.name).join(' → ')} multiline maw={360}>
                      <Text size="sm">{t.definition.phases.length}</Text>
                    </Tooltip>
                  </Table.Td>
                  <Table.Td data-testid="template-gates-count">
                    <Text size="sm">{t.definition.gates?.length ?? 0}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Tooltip label={formatDateTime(t.updatedAt)}>
                      <Text size="sm">{formatRelative(t.updatedAt)}</Text>
                    </Tooltip>
                  </Table.Td>
                  <Table.Td className="sg-table-row-actions">
                    <Group gap={2} justify="flex-end" wrap="nowrap">
                      <PermissionActionIcon permission={WRITE} label={`Edit ${t.key}`} onClick={() => dialog.openEdit(t)}>
                        <IconEdit size={16} />
                      </PermissionActionIcon>
                      <PermissionActionIcon permission={WRITE} label={`Delete ${t.key}`} color="red" onClick={() => remove.ask(t)}>
                        <IconTrash size={16} />
                      </PermissionActionIcon>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TablePanel>
        <CursorLoadMore list={list} shown={items.length} noun="template" nounPlural="templates" />
      </ListPageStates>

      <TemplateFormModal opened={dialog.opened} onClose={dialog.close} template={dialog.editing} />

      <ConfirmDialog
        {...remove.dialogProps}
        title={deleting ? `Delete release template ${deleting.key}?` : 'Delete release template'}
        confirmLabel="Delete template"
      >
        <Text size="sm">
          {deleting?.name} will no longer be offered for new releases. This cannot be undone.
        </Text>
        <Text size="sm" mt="xs">
          Releases already made from it are not affected: each keeps its own copy of the phases and gates (and the
          template version it was made from).
        </Text>
      </ConfirmDialog>
    </>
  );
}
