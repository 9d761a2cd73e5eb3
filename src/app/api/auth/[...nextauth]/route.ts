import { NextRequest } from "next/server";
import { handlers } from "@/server/auth/config";
import { route } from "@/server/http/route";
import { withRoute } from "@/server/http/with-route";

/**
 * Auth.js's own handlers (sign-in, callbacks, session, CSRF), behind withRoute for the
 * request id and the access log line; their answers are otherwise Auth.js's. Next.js hands a
 * route a NextRequest, which Auth.js needs; a test may hand a plain Request.
 */
const authJs = (handle: (request: NextRequest) => Promise<Response>) =>
  withRoute<{ nextauth: string[] }>(({ request }) => handle(request instanceof NextRequest ? request : new NextRequest(request)));

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = route({ GET: authJs(handlers.GET), POST: authJs(handlers.POST) });
