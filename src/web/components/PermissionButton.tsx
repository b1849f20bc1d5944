import type { MouseEvent, ReactNode } from 'react';
import { ActionIcon, Button, Tooltip, type ButtonProps } from '@mantine/core';
import { hasPermission, useCurrentUser } from '../features/auth/session';

export function permissionHint(permission: string): string {
  return `You need the "${permission}" permission for this. Ask an administrator for a role that grants it.`;
}

interface PermissionButtonProps extends ButtonProps {
  permission: string;
  onClick?: (event: MouseEvent<HTMLButtonElement>) => void;
  type?: 'button' | 'submit';
  children: ReactNode;
  'data-testid'?: string;
}

/**
 * A button that stays visible when the user lacks `permission`: it is then aria-disabled
 * (still focusable, so keyboard users get the tooltip) and explains which permission is needed.
 */
export function PermissionButton({ permission, onClick, disabled, children, type = 'button', ...rest }: PermissionButtonProps) {
  const user = useCurrentUser();
  const allowed = hasPermission(user, permission);
  if (allowed) {
    return (
      <Button type={type} onClick={onClick} disabled={disabled} {...rest}>
        {children}
      </Button>
    );
  }
  return (
    <Tooltip label={permissionHint(permission)} multiline w={260}>
      <Button
        type="button"
        {...rest}
        data-disabled
        aria-disabled
        onClick={(event: MouseEvent<HTMLButtonElement>) => event.preventDefault()}
      >
        {children}
      </Button>
    </Tooltip>
  );
}

interface PermissionActionIconProps {
  permission: string;
  label: string;
  onClick: () => void;
  children: ReactNode;
  color?: string;
}

/** Icon-only row action with an accessible label; disabled with an explanation without permission. */
export function PermissionActionIcon({ permission, label, onClick, children, color }: PermissionActionIconProps) {
  const user = useCurrentUser();
  const allowed = hasPermission(user, permission);
  return (
    <Tooltip label={allowed ? label : `${label}: ${permissionHint(permission)}`} multiline maw={280}>
      <ActionIcon
        variant="subtle"
        color={color ?? 'gray'}
        aria-label={label}
        {...(allowed
          ? { onClick }
          : { 'data-disabled': true, 'aria-disabled': true, onClick: (e: MouseEvent) => e.preventDefault() })}
      >
        {children}
      </ActionIcon>
    </Tooltip>
  );
}
