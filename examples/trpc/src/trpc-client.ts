import type { FcgiClient } from '@fcgi/client';
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { EventSource } from 'eventsource';
import type { AppRouter } from './router';

/**
 * A typed tRPC client whose HTTP requests go straight to the app over FastCGI (no web server):
 * `@fcgi/client`'s fetch is the links' fetch, and EventSource's for subscriptions.
 */
export function createFastCGITRPCClient(fcgi: FcgiClient, url = 'http://localhost/trpc') {
  const fetch = (input: string | URL | Request, init?: RequestInit) => fcgi.fetch(input, init);
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({ url, EventSource, eventSourceOptions: { fetch } }),
        false: httpBatchLink({ url, fetch }),
      }),
    ],
  });
}
