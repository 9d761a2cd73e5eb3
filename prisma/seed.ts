import { hashPassword } from "@/server/auth/password";
import { db } from "@/server/db";
import { DEMO_EMAIL, DEMO_PASSWORD } from "../scripts/lib/demo-user";

/** Creates the demo user once; running it again changes nothing. */
async function seed() {
  const existing = await db().user.findUnique({ where: { email: DEMO_EMAIL } });
  if (!existing) {
    await db().user.create({
      data: { email: DEMO_EMAIL, name: "Demo Customer", passwordHash: await hashPassword(DEMO_PASSWORD) },
    });
  }
  await db().$disconnect();
}

await seed();
