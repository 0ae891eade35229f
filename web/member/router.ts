import { useSyncExternalStore } from 'react';
import { organizationId } from './api.ts';

/** The member pages' few screens: /m/{organizationId}/{page}. A tiny router keeps the first load light. */
export const PAGES = ['', 'join', 'sign-in', 'history', 'rewards', 'profile'] as const;
export type PageName = (typeof PAGES)[number];

const base = `/m/${organizationId}/`;
const NAVIGATED = 'regulars:navigated';

export const hrefOf = (page: PageName) => base + page;

function current(): PageName | 'not-found' {
  const rest = window.location.pathname.startsWith(base)
    ? window.location.pathname.slice(base.length).replace(/\/$/, '')
    : 'not-found';
  return (PAGES as readonly string[]).includes(rest) ? (rest as PageName) : 'not-found';
}

function subscribe(onChange: () => void) {
  window.addEventListener('popstate', onChange);
  window.addEventListener(NAVIGATED, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(NAVIGATED, onChange);
  };
}

export function usePage(): PageName | 'not-found' {
  return useSyncExternalStore(subscribe, current);
}

export function navigate(page: PageName, { replace = false } = {}): void {
  if (replace) window.history.replaceState(null, '', hrefOf(page));
  else window.history.pushState(null, '', hrefOf(page));
  window.scrollTo(0, 0);
  window.dispatchEvent(new Event(NAVIGATED));
}

/** A link's click handled here (the page does not reload); other clicks (new tab…) go to the browser. */
export function followLink(page: PageName) {
  return (event: React.MouseEvent) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(page);
  };
}
