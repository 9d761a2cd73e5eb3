import path from "node:path";

/** Import aliases of every Vitest config: `@/…` as in tsconfig, and `server-only` as a no-op. */
export const alias = {
  "@": path.resolve(import.meta.dirname, "src"),
  // The typed client (client/), as tsconfig's paths name it.
  "@payments/client": path.resolve(import.meta.dirname, "client/src/index.ts"),
  // The marker package throws outside a React server; Vitest is not one.
  "server-only": path.resolve(import.meta.dirname, "tests/helpers/empty-module.ts"),
};
