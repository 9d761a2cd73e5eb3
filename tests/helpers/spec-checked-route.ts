import type { route as routeOf } from "@/server/http/route";
import { openApiValidator } from "./openapi-validator";

type Route = typeof routeOf;

/** Answers that departed from the OpenAPI document, for the test that produced them. */
export const specViolations: string[] = [];

/**
 * `route()` whose every answer, on a path the OpenAPI document describes, is checked against
 * it (openapi-validator.ts) before the test sees it: a departure fails the call that produced
 * it, and is kept for the test's afterEach (tests/setup-file.ts) in case the caller swallowed
 * it (a server in front of the handler). Paths the document does not describe — Auth.js's own
 * routes, unit tests' made-up ones — pass unchecked; openapi-routes.test.ts checks that every
 * route of the app is described.
 */
export function specCheckedRoute(route: Route): Route {
  return (served) => {
    const handlers = route(served);
    return Object.fromEntries(
      Object.entries(handlers).map(([method, handler]) => [
        method,
        async (request: Request, context: Parameters<typeof handler>[1]) => {
          const response = await handler(request, context);
          const validator = openApiValidator();
          if (!validator.describes(new URL(request.url).pathname)) return response;
          const body = await response.clone().text();
          // The method this handler serves: a test may hand it a request with another.
          const errors = validator.check(method, request.url, { status: response.status, headers: response.headers, body });
          if (errors.length > 0) {
            specViolations.push(...errors);
            throw new Error(`The answer departs from the OpenAPI document:\n${errors.join("\n")}`);
          }
          return response;
        },
      ]),
    ) as ReturnType<Route>;
  };
}
