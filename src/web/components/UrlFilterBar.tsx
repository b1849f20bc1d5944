import { useEffect, useState, type ReactNode } from 'react';
import { Button, CloseButton, Group, NativeSelect, TextInput, type GroupProps } from '@mantine/core';
import { useDebouncedCallback } from '@mantine/hooks';
import { IconSearch } from '@tabler/icons-react';

interface FilterOption {
  value: string;
  label: string;
}

/** A row of filters whose values live in the URL; announced as a search landmark. */
export function FilterBar({
  label,
  align = 'flex-end',
  spaced = true,
  children,
}: {
  label: string;
  align?: GroupProps['align'];
  /** Leave a gap below the bar (off when the parent already spaces it). */
  spaced?: boolean;
  children: ReactNode;
}) {
  return (
    <Group gap="xs" mb={spaced ? 'sm' : undefined} align={align} role="search" aria-label={label}>
      {children}
    </Group>
  );
}

/**
 * Text held in the URL, edited in a local input: the input updates at once, the URL 250 ms later.
 * `commit` receives the trimmed text, or undefined when empty.
 */
export function useUrlSearchText(urlValue: string | undefined, commit: (value: string | undefined) => void) {
  const [value, setValue] = useState(urlValue ?? '');
  useEffect(() => setValue(urlValue ?? ''), [urlValue]);
  const push = useDebouncedCallback((text: string) => commit(text.trim() || undefined), 250);
  return {
    value,
    /** Typing: update the input now and the URL after the debounce. */
    change: (text: string) => {
      setValue(text);
      push(text);
    },
    /** Clear the input only (e.g. when all filters are cleared at once). */
    reset: () => setValue(''),
  };
}

/** Debounced search box with a clear button, for a `useUrlSearchText` value. */
export function FilterSearchInput({
  label,
  placeholder,
  w,
  text,
}: {
  label: string;
  placeholder: string;
  w: number;
  text: ReturnType<typeof useUrlSearchText>;
}) {
  return (
    <TextInput
      aria-label={label}
      placeholder={placeholder}
      leftSection={<IconSearch size={14} />}
      value={text.value}
      onChange={(e) => text.change(e.currentTarget.value)}
      rightSection={text.value ? <CloseButton size="sm" aria-label="Clear search" onClick={() => text.change('')} /> : null}
      w={w}
      size="xs"
    />
  );
}

/** Keep a value from the URL selectable even when it is not (or not yet) among the options. */
export function withCurrentOption(options: FilterOption[], current: string | undefined): FilterOption[] {
  return current && !options.some((o) => o.value === current) ? [...options, { value: current, label: current }] : options;
}

/** A compact select for one URL filter, with an "All …" choice for no filter. */
export function FilterSelect({
  label,
  w,
  value,
  allLabel,
  options,
  keepCurrent = false,
  onChange,
}: {
  label: string;
  w: number;
  value: string;
  allLabel: string;
  options: FilterOption[];
  /** Offer `value` as an option even if `options` lacks it. */
  keepCurrent?: boolean;
  onChange: (value: string) => void;
}) {
  return (
    <NativeSelect
      aria-label={label}
      size="xs"
      w={w}
      value={value}
      onChange={(e) => onChange(e.currentTarget.value)}
      data={[{ value: '', label: allLabel }, ...(keepCurrent ? withCurrentOption(options, value) : options)]}
    />
  );
}

/** "Clear filters" link-style button, shown only while a filter is set. */
export function ClearFiltersButton({
  show,
  onClick,
  size,
  children = 'Clear filters',
}: {
  show: boolean;
  onClick: () => void;
  size?: string;
  children?: ReactNode;
}) {
  if (!show) return null;
  return (
    <Button variant="subtle" color="gray" size={size} onClick={onClick}>
      {children}
    </Button>
  );
}
