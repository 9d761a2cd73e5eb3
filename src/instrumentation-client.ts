import { z } from "zod";

// Runs in the browser before the app's own code (Next.js's client instrumentation). zod 4
// compiles object schemas with `new Function` when it can, and probes for it once; the pages'
// Content-Security-Policy (src/proxy.ts) forbids eval, so the probe raises a CSP violation on
// every page that parses with zod. Parsing without compiled code is what zod falls back to
// anyway: say so up front.
z.config({ jitless: true });
