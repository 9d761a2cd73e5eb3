import "server-only";
import { PrismaAdapter } from "@auth/prisma-adapter";
import NextAuth, { type NextAuthConfig } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import GitHub from "next-auth/providers/github";
import { env } from "@/env";
import { signInSchema } from "@/lib/schemas/sign-in";
import { db } from "@/server/db";
import { clientAddress } from "@/server/http/client-address";
import { authLogger } from "./auth-logger";
import { verifyThrottledCredentials } from "./sign-in-throttle";

let config: NextAuthConfig | undefined;

/**
 * Built on first use, not at import: `next build` imports this module without secrets or
 * a database, and env() must fail at server start (instrumentation.ts), not at build.
 */
function authConfig(): NextAuthConfig {
  const { AUTH_SECRET, AUTH_GITHUB_ID, AUTH_GITHUB_SECRET } = env();
  const providers: NextAuthConfig["providers"] = [
    Credentials({
      credentials: { email: { type: "email" }, password: { type: "password" } },
      // `request` is Auth.js's copy of the request, with its headers (X-Forwarded-For).
      async authorize(credentials, request) {
        const parsed = signInSchema.safeParse(credentials);
        if (!parsed.success) return null;
        return verifyThrottledCredentials(parsed.data.email, parsed.data.password, clientAddress(request.headers));
      },
    }),
  ];
  if (AUTH_GITHUB_ID && AUTH_GITHUB_SECRET) {
    providers.push(GitHub({ clientId: AUTH_GITHUB_ID, clientSecret: AUTH_GITHUB_SECRET }));
  }

  return {
    secret: AUTH_SECRET,
    // The app is reached through localhost in dev and through a proxy in production; the
    // callback URL is still checked against the request's own origin.
    trustHost: true,
    // The adapter stores OAuth users and their accounts; sessions are JWTs regardless,
    // because the Credentials provider works only with JWT sessions.
    adapter: PrismaAdapter(db()),
    session: { strategy: "jwt" },
    providers,
    pages: { signIn: "/sign-in", error: "/sign-in" },
    logger: authLogger(),
    callbacks: {
      // `sub` is the user id for both providers; requireUser reads it from the same token.
      session({ session, token }) {
        if (token.sub) session.user.id = token.sub;
        return session;
      },
    },
  };
}

export const { handlers, auth, signIn, signOut } = NextAuth(() => (config ??= authConfig()));
