import '@mantine/core/styles.css';
import './i18n/index.ts';
import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { organizationId, queryClient } from './api.ts';
import { App } from './app.tsx';

// Installable: the organization's own manifest (its name, color, start page /m/{organizationId}/).
const manifest = document.createElement('link');
manifest.rel = 'manifest';
manifest.href = `/v1/public/organizations/${organizationId}/manifest.webmanifest`;
document.head.append(manifest);

// The worker keeps the page's shell and assets for a bad connection; it never answers for /v1.
if ('serviceWorker' in navigator) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/m/sw.js', { scope: '/m/' }).catch(() => undefined);
  });
}

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
