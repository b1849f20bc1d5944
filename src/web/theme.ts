import { createTheme, type CSSVariablesResolver } from '@mantine/core';

/** Dense, neutral theme (Linear/GitHub-like). No web fonts: self-hosted installs must work offline. */
export const theme = createTheme({
  primaryColor: 'indigo',
  // WCAG AA (UI.md: axe finds no serious violations): white on indigo.6 is 4.3:1, on indigo.7 5:1 — filled buttons, links
  primaryShade: { light: 7, dark: 8 },
  defaultRadius: 'sm',
  fontFamily:
    'Inter, ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  fontFamilyMonospace: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
  headings: { fontWeight: '600' },
  cursorType: 'pointer',
  components: {
    Table: {
      defaultProps: { verticalSpacing: 6, horizontalSpacing: 'sm', fz: 'sm' },
    },
    Button: { defaultProps: { size: 'xs' } },
    TextInput: { defaultProps: { size: 'sm' } },
    Tooltip: { defaultProps: { withArrow: true, openDelay: 150 } },
    Badge: { defaultProps: { radius: 'sm', variant: 'light' } },
    // Mantine's close buttons are icon-only: give them a name
    Modal: { defaultProps: { centered: true, closeButtonProps: { 'aria-label': 'Close dialog' } } },
    Drawer: { defaultProps: { closeButtonProps: { 'aria-label': 'Close panel' } } },
    Notification: { defaultProps: { closeButtonProps: { 'aria-label': 'Close notification' } } },
  },
});

/**
 * Light-scheme colours below WCAG AA 4.5:1 in Mantine's defaults, darkened: dimmed text (gray.6 is 3.3:1 on white) and
 * the text of light and outline badges in hues whose shade 9 is too pale on their tint (orange 3.6:1, yellow 2.8:1, …).
 */
export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-orange-light-color': '#a33a0b',
    '--mantine-color-yellow-light-color': '#8a5300',
    '--mantine-color-lime-light-color': '#3f6b0f',
    '--mantine-color-green-light-color': '#1f6b34',
    '--mantine-color-teal-light-color': '#06645a',
    // outline badges and error text: shade 7 (outline) and red.6 (error) are below 4.5:1 on white for these hues
    '--mantine-color-error': 'var(--mantine-color-red-9)',
    '--mantine-color-red-outline': 'var(--mantine-color-red-9)',
    '--mantine-color-blue-outline': 'var(--mantine-color-blue-9)',
    '--mantine-color-cyan-outline': 'var(--mantine-color-cyan-9)',
    '--mantine-color-teal-outline': '#06645a',
    '--mantine-color-green-outline': '#1f6b34',
    '--mantine-color-lime-outline': '#3f6b0f',
    '--mantine-color-yellow-outline': '#8a5300',
    '--mantine-color-orange-outline': '#a33a0b',
  },
  dark: {},
});
