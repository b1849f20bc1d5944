import { Alert, List, Text } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import type { ProblemFieldError } from '../api/client';
import { errorMessage } from '../api/client';

/** Form-level problem: the server's detail plus any field errors that could not be placed on a field. */
export function FormProblem({
  error,
  unplaced = [],
  title = 'Could not save',
  children,
}: {
  error: unknown;
  unplaced?: ProblemFieldError[];
  title?: string;
  children?: React.ReactNode;
}) {
  if (!error) return null;
  return (
    <Alert color="red" variant="light" icon={<IconAlertTriangle size={16} />} title={title} role="alert">
      <Text size="sm">{errorMessage(error)}</Text>
      {unplaced.length ? (
        <List size="sm" mt={4}>
          {unplaced.map((item, i) => (
            <List.Item key={`${item.path}-${i}`}>
              {item.path ? <span className="sg-mono">{item.path}</span> : null}
              {item.path ? ': ' : ''}
              {item.message}
            </List.Item>
          ))}
        </List>
      ) : null}
      {children}
    </Alert>
  );
}
