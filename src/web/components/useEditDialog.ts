import { useState } from 'react';

/** Open/closed state of a create-or-edit dialog, and the item being edited (null when creating). */
export function useEditDialog<T>() {
  const [editing, setEditing] = useState<T | null>(null);
  const [opened, setOpened] = useState(false);
  return {
    opened,
    editing,
    openCreate: () => {
      setEditing(null);
      setOpened(true);
    },
    openEdit: (item: T) => {
      setEditing(item);
      setOpened(true);
    },
    close: () => setOpened(false),
  };
}
