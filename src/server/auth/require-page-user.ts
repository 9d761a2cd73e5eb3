import "server-only";
import { redirect } from "next/navigation";
import { auth } from "./config";

export type PageUser = { id: string; email: string; name: string | null };

/**
 * The signed-in user of a page, or a redirect to the sign-in page that comes back to
 * `path` afterwards. Pages use the session only; API keys are for the HTTP API.
 */
export async function requirePageUser(path: string): Promise<PageUser> {
  const session = await auth();
  const user = session?.user;
  if (user?.id && user.email) return { id: user.id, email: user.email, name: user.name ?? null };
  redirect(`/sign-in?${new URLSearchParams({ callbackUrl: path })}`);
}
