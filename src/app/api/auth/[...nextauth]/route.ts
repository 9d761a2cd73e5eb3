import { NextRequest } from "next/server";
import { handlers } from "@/server/auth/config";
import { answerThrottledSignIns } from "@/server/auth/sign-in-throttle";
import { route } from "@/server/http/route";
import { withRoute } from "@/server/http/with-route";

/**
 * Auth.js's own handlers (sign-in, callbacks, session, CSRF), behind withRoute for the
 * request id and the access log line; their answers are otherwise Auth.js's, except that a
 * throttled sign-in is a 429 with Retry-After (answerThrottledSignIns). Next.js hands a
 * route a NextRequest, which Auth.js needs; a test may hand a plain Request.
 */
const authJs = (handle: (request: NextRequest) => Promise<Response>) =>
  withRoute<{ nextauth: string[] }>(({ request }) => handle(request instanceof NextRequest ? request : new NextRequest(request)));

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = route({
  GET: authJs(handlers.GET),
  POST: authJs((request) => answerThrottledSignIns(() => handlers.POST(request))),
});
