import { useState } from 'react';
import { useMutation } from '@tanstack/react-query';

/**
 * A destructive row action behind a confirmation dialog (delete, revoke): remembers which item is being
 * confirmed, runs the mutation on confirm and closes the dialog when it succeeds.
 * Spread `dialogProps` onto a `ConfirmDialog`.
 */
export function useConfirmedAction<T>({
  action,
  onSuccess,
}: {
  action: (item: T) => Promise<unknown>;
  /** Runs after the action succeeded, before the dialog closes (invalidate queries, notify). */
  onSuccess: (item: T) => void;
}) {
  const [target, setTarget] = useState<T | null>(null);
  const mutation = useMutation({
    mutationFn: action,
    onSuccess: (_data, item) => {
      onSuccess(item);
      setTarget(null);
    },
  });
  return {
    /** The item awaiting confirmation, or null. */
    target,
    /** Ask to confirm the action on `item` (clears a previous attempt's error). */
    ask: (item: T) => {
      mutation.reset();
      setTarget(item);
    },
    dialogProps: {
      opened: target !== null,
      onConfirm: () => {
        if (target) mutation.mutate(target);
      },
      onClose: () => setTarget(null),
      loading: mutation.isPending,
      error: mutation.error,
    },
  };
}
