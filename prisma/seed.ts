import { parseDatabaseEnv } from "@/env";
import { hashPassword } from "@/server/auth/password";
import { db } from "@/server/db";
import { CliConfig } from "../scripts/lib/cli-config";
import { DEMO_EMAIL, DEMO_PASSWORD } from "../scripts/lib/demo-user";

/** Creates the demo user once; running it again changes nothing. */
async function seed() {
  const config = new CliConfig("db:seed");
  config.require("DATABASE_URL");
  config.validate(() => parseDatabaseEnv(process.env));
  await config.requireDatabase();
  try {
    const existing = await db().user.findUnique({ where: { email: DEMO_EMAIL } });
    if (!existing) {
      await db().user.create({
        data: { email: DEMO_EMAIL, name: "Demo Customer", passwordHash: await hashPassword(DEMO_PASSWORD) },
      });
    }
  } finally {
    await db().$disconnect();
  }
}

await seed().catch((error: unknown) => {
  process.stderr.write(`db:seed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
