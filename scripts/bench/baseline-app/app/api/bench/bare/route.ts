import { db } from "@/server/db";
import { withUser } from "@/server/http/with-user";

export const dynamic = "force-dynamic";

/** The floor a replay is compared with: the app's authentication and one indexed read. */
export const GET = withUser(async ({ user }) => {
  const row = await db().user.findUnique({ where: { id: user.id }, select: { id: true } });
  return Response.json({ id: row?.id ?? null });
});
