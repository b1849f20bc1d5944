import type { ReactNode } from 'react';
import { ActionIcon, Anchor, Group, Text, Tooltip } from '@mantine/core';
import { IconEdit, IconTrash } from '@tabler/icons-react';
import { PermissionActionIcon } from './PermissionButton';

/**
 * Edit + delete icons at the end of a catalog row, gated by `{entity}:update` / `{entity}:delete`,
 * labelled "Edit {key}" / "Delete {key}".
 */
export function EditDeleteRowActions({
  entity,
  itemKey,
  onEdit,
  onDelete,
}: {
  /** Permission prefix, e.g. "service". */
  entity: string;
  itemKey: string;
  onEdit: () => void;
  onDelete: () => void;
}) {
  return (
    <Group gap={2} justify="flex-end" wrap="nowrap">
      <PermissionActionIcon permission={`${entity}:update`} label={`Edit ${itemKey}`} onClick={onEdit}>
        <IconEdit size={16} />
      </PermissionActionIcon>
      <PermissionActionIcon permission={`${entity}:delete`} label={`Delete ${itemKey}`} color="red" onClick={onDelete}>
        <IconTrash size={16} />
      </PermissionActionIcon>
    </Group>
  );
}

/** Red trash icon labelled "Revoke {name}", for tokens and feeds. */
export function RevokeActionIcon({ name, onClick }: { name: string; onClick: () => void }) {
  return (
    <Tooltip label={`Revoke ${name}`}>
      <ActionIcon variant="subtle" color="red" aria-label={`Revoke ${name}`} onClick={onClick}>
        <IconTrash size={16} />
      </ActionIcon>
    </Tooltip>
  );
}

/** A row's name with its description as tooltip; opens the editor when the user may edit. */
export function EditableNameCell({
  name,
  description,
  canEdit,
  onEdit,
}: {
  name: ReactNode;
  description: string | null | undefined;
  canEdit: boolean;
  onEdit: () => void;
}) {
  return (
    <Tooltip label={description} disabled={!description} multiline maw={360}>
      {canEdit ? (
        <Anchor component="button" type="button" size="sm" c="inherit" onClick={onEdit}>
          {name}
        </Anchor>
      ) : (
        <Text size="sm">{name}</Text>
      )}
    </Tooltip>
  );
}

/** Owning team's name, or a dimmed "No owner". */
export function OwnerTeamText({ team }: { team: { name: string } | null | undefined }) {
  return team ? (
    <Text size="sm">{team.name}</Text>
  ) : (
    <Text size="sm" c="dimmed">
      No owner
    </Text>
  );
}
