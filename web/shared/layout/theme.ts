import { type CSSVariablesResolver, createTheme } from '@mantine/core';

/** One theme for the web apps: teal accents, text contrast at WCAG AA (4.5:1) on white. */
export const theme = createTheme({
  primaryColor: 'teal',
  primaryShade: { light: 9, dark: 7 },
  defaultRadius: 'md',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
});

const LIGHT_VARIANT_COLORS = ['teal', 'gray', 'blue', 'red', 'yellow', 'green'] as const;

/**
 * Mantine's dimmed text (gray 6), its field errors (red 6) and its `light` variants' text (shade 6
 * on a tint: active navigation, badges, alerts) fall under 4.5:1: shade 9 on shade 0 reads the
 * same way and passes axe.
 */
export const cssVariables: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-teal-light': 'var(--mantine-color-teal-0)',
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-error': 'var(--mantine-color-red-9)',
    '--mantine-primary-color-light-color': 'var(--mantine-color-teal-9)',
    ...Object.fromEntries(
      LIGHT_VARIANT_COLORS.map((color) => [
        `--mantine-color-${color}-light-color`,
        `var(--mantine-color-${color}-9)`,
      ]),
    ),
  },
  dark: {},
});
