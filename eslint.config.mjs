import nextVitals from "eslint-config-next/core-web-vitals";
import nextTypescript from "eslint-config-next/typescript";

/**
 * `import "server-only";` as the first statement of a module: bundling one into the browser
 * then fails the build. Scripts that import src/server run under `tsx --conditions=react-server`
 * and Vitest aliases the package, so there the marker is a no-op.
 */
const serverOnlyFirst = {
  meta: {
    type: "problem",
    fixable: "code",
    schema: [],
    messages: { missing: 'A module of src/server starts with `import "server-only";` (DESIGN: server-only code stays server-only).' },
  },
  create(context) {
    return {
      Program(program) {
        const [first] = program.body;
        if (first?.type === "ImportDeclaration" && first.source.value === "server-only" && first.specifiers.length === 0) return;
        const present = program.body.some((node) => node.type === "ImportDeclaration" && node.source.value === "server-only");
        context.report({
          node: first ?? program,
          messageId: "missing",
          // Moving an existing marker is left to the author; adding a missing one is safe.
          fix: present ? null : (fixer) => fixer.insertTextBeforeRange([0, 0], 'import "server-only";\n'),
        });
      },
    };
  },
};

const SRC = "src/**/*.{ts,tsx}";
const TESTS = "**/*.test.{ts,tsx}";

const config = [
  { ignores: [".next/**", ".next-*/**", "node_modules/**", ".data/**", ".scratch/**", "next-env.d.ts", "test-results/**", "coverage/**", "client/src/schema.ts"] },
  ...nextVitals,
  ...nextTypescript,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
    },
  },
  {
    // One locale policy: money and dates are formatted by src/lib/display-format.ts only.
    files: ["src/**/*.{ts,tsx}"],
    ignores: ["src/lib/display-format.ts"],
    rules: {
      // Not no-restricted-properties: a later block sets that rule for process.env, and flat
      // config would let it replace this one.
      "no-restricted-globals": ["error", { name: "Intl", message: "Format money and dates with src/lib/display-format.ts." }],
      "no-restricted-syntax": [
        "error",
        {
          selector: "CallExpression[callee.property.name=/^toLocale(Date|Time)?String$/]",
          message: "Format money and dates with src/lib/display-format.ts.",
        },
        // One way to call the API: the typed client generated from its OpenAPI document.
        {
          selector: "CallExpression[callee.name='fetch'], CallExpression[callee.object.name='globalThis'][callee.property.name='fetch']",
          message: "Call the API through the typed client (src/lib/api-client.ts, generated from GET /api/openapi.json), not fetch.",
        },
      ],
    },
  },

  // ---------------------------------------------------------------- layering (DESIGN.md "Shape")
  // app → server → db; lib is shared with the browser. scripts/ and tests/ are exempt.
  {
    files: [SRC],
    ignores: ["src/server/**"],
    rules: {
      "import/no-restricted-paths": [
        "error",
        {
          basePath: import.meta.dirname,
          zones: [
            {
              target: "./src/lib",
              from: "./src/server",
              message: "src/lib is shared with the browser: it never imports src/server.",
            },
            {
              target: "./src",
              from: "./src/server/db.ts",
              message: "Outside src/server the database is reached through a src/server function, not db().",
            },
          ],
        },
      ],
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          paths: ["@prisma/client", "@prisma/adapter-pg", "pg"].map((name) => ({
            name,
            allowTypeImports: true,
            message: "Outside src/server the database is reached through a src/server function; only type imports of it here.",
          })),
          patterns: [
            {
              group: ["@prisma/client/*"],
              allowTypeImports: true,
              message: "Outside src/server the database is reached through a src/server function; only type imports of it here.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["src/server/**/*.{ts,tsx}"],
    rules: {
      "import/no-restricted-paths": [
        "error",
        {
          basePath: import.meta.dirname,
          zones: [{ target: "./src/server", from: "./src/app", message: "src/server never imports src/app: routes and pages call the server, not back." }],
        },
      ],
    },
  },
  {
    files: ["src/server/**/*.{ts,tsx}"],
    ignores: [TESTS],
    plugins: { layering: { rules: { "server-only-first": serverOnlyFirst } } },
    rules: { "layering/server-only-first": "error" },
  },
  {
    files: [SRC],
    ignores: ["src/env.ts"],
    rules: {
      "no-restricted-properties": [
        "error",
        { object: "process", property: "env", message: "Configuration is read once, in src/env.ts: use env()." },
      ],
      "no-restricted-imports": [
        "error",
        {
          paths: ["process", "node:process"].map((name) => ({
            name,
            importNames: ["env"],
            message: "Configuration is read once, in src/env.ts: use env().",
          })),
        },
      ],
    },
  },
];

export default config;
