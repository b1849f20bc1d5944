import type { ReactNode } from 'react';
import { Alert, Button, CopyButton, Group, TextInput } from '@mantine/core';
import { IconAlertTriangle, IconCheck, IconCopy } from '@tabler/icons-react';

/** Yellow warning that a secret (token, feed address) is shown only this once. */
export function SecretShownOnceWarning({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Alert color="yellow" variant="light" icon={<IconAlertTriangle size={16} />} title={title}>
      {children}
    </Alert>
  );
}

interface CopyableSecretFieldProps {
  value: string;
  /** Visible label; the copy button is offset to line up with the input. */
  label?: string;
  /** Accessible name when there is no visible label. */
  ariaLabel?: string;
  testId: string;
  /** How long the button says "Copied" (ms). */
  copyTimeout?: number;
  copiedColor: string;
  copiedVariant?: string;
}

/** Read-only, select-on-focus monospace field with a Copy button, for a secret shown once. */
export function CopyableSecretField({
  value,
  label,
  ariaLabel,
  testId,
  copyTimeout,
  copiedColor,
  copiedVariant = 'filled',
}: CopyableSecretFieldProps) {
  return (
    <Group gap="xs" wrap="nowrap" align={label ? 'center' : undefined}>
      <TextInput
        label={label}
        aria-label={ariaLabel}
        value={value}
        readOnly
        onFocus={(e) => e.currentTarget.select()}
        classNames={{ input: 'sg-mono' }}
        style={{ flex: 1 }}
        data-testid={testId}
      />
      <CopyButton value={value} timeout={copyTimeout}>
        {({ copied, copy }) => (
          <Button
            mt={label ? 22 : undefined}
            variant={copied ? copiedVariant : 'filled'}
            color={copied ? copiedColor : undefined}
            leftSection={copied ? <IconCheck size={14} /> : <IconCopy size={14} />}
            onClick={copy}
          >
            {copied ? 'Copied' : 'Copy'}
          </Button>
        )}
      </CopyButton>
    </Group>
  );
}
