import { createPaymentsClient, type PaymentsClient } from "@payments/client";

/**
 * The API as this app's own pages call it, through the typed client generated from its
 * OpenAPI document (client/): same origin, with the session cookie, never from a cache.
 * `fetch` is a seam for the tests.
 */
export function apiClient(fetchImpl?: (request: Request) => Promise<Response>): PaymentsClient {
  return createPaymentsClient({
    // openapi-fetch builds a Request, which needs an absolute URL outside a page.
    baseUrl: globalThis.location?.origin ?? "http://localhost",
    // The one fetch of the pages: everything else goes through this client (eslint.config.mjs).
    // eslint-disable-next-line no-restricted-syntax
    fetch: fetchImpl ?? ((request) => globalThis.fetch(request)),
    credentials: "same-origin",
    cache: "no-store",
    headers: { Accept: "application/json, application/problem+json" },
  });
}
