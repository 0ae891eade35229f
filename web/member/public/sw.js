// The member pages' service worker (scope /m/). It keeps the app's shell and its hashed assets so
// the card opens on a bad connection. It NEVER answers for the API (/v1/…): balances, history and
// sessions always come from the server, or fail visibly.
const CACHE = 'regulars-member-v1';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || !url.pathname.startsWith('/m/'))
    return;
  if (url.pathname.startsWith('/m/assets/')) {
    // Hashed names: a cached file is the right file for good.
    event.respondWith(
      caches.match(request).then(
        (cached) =>
          cached ??
          fetch(request).then((response) => {
            if (response.ok) {
              const copy = response.clone();
              caches.open(CACHE).then((cache) => cache.put(request, copy));
            }
            return response;
          }),
      ),
    );
    return;
  }
  if (request.mode === 'navigate') {
    // The network first (a new build shows at once); the last shell when offline.
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok) {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put('/m/shell', copy));
          }
          return response;
        })
        .catch(() => caches.match('/m/shell').then((cached) => cached ?? Response.error())),
    );
  }
});
