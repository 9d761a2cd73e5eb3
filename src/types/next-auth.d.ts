import { type DefaultSession } from "next-auth";

// The session callback in src/server/auth/config.ts adds the user id to every session.
declare module "next-auth" {
  interface Session {
    user: { id: string } & DefaultSession["user"];
  }
}
