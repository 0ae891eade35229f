import { createTheme } from '@mantine/core';

/** One theme for the web apps: teal accents, contrast kept at WCAG AA for text on white. */
export const theme = createTheme({
  primaryColor: 'teal',
  primaryShade: 8,
  defaultRadius: 'md',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
});
