"use client";

import { useEffect, useRef, useState } from "react";
import "swagger-ui-dist/swagger-ui.css";
import "./swagger-ui-theme.css";

type Props = {
  /** The OpenAPI document's address: this site's own GET /api/openapi.json. */
  specUrl: string;
};

/**
 * swagger-ui, from the swagger-ui-dist package bundled with the app: its script is a chunk of
 * this page loaded after hydration (it touches `window` when evaluated, so never on the
 * server), its stylesheet part of the page's CSS. Nothing comes from elsewhere: the document
 * is this site's; the validator badge (an image from validator.swagger.io) belongs to the
 * standalone layout, not BaseLayout used here, and is switched off besides; the stylesheet
 * declares no fonts and its images are data: URLs. Under the page's CSP, the chunk is loaded by Next.js's trusted
 * runtime ('strict-dynamic'), and swagger-ui styles elements through React's `style`
 * property (CSSOM, which style-src does not govern), never with inline <style>.
 *
 * "Try it out" calls the API from this page, with its session cookie if signed in or an API
 * key given in Authorize; the browser sends Sec-Fetch-Site: same-origin, which the proxy's
 * cross-site rule accepts, so it works for every operation, money-moving ones included.
 */
export function ApiReference({ specUrl }: Props) {
  const container = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<"loading" | "ready" | "failed">("loading");

  useEffect(() => {
    const host = container.current;
    if (!host) return;
    // swagger-ui renders into a node of its own, dropped on unmount (Strict Mode mounts twice).
    const node = document.createElement("div");
    host.append(node);
    let unmounted = false;
    import("swagger-ui-dist/swagger-ui-bundle.js")
      .then(({ default: SwaggerUIBundle }) => {
        if (unmounted) return;
        SwaggerUIBundle({
          domNode: node,
          url: specUrl,
          presets: [SwaggerUIBundle.presets.apis],
          layout: "BaseLayout",
          // `#/<tag>/<operationId>` opens an operation: the error page links to them.
          deepLinking: true,
          // Its default sends the document's address to validator.swagger.io and shows a badge from
          // there (in the standalone layout only, and never for a localhost or 127.0.0.1 document).
          validatorUrl: null,
          // Never read the configuration (another document's `url`) from this page's query string.
          queryConfigEnabled: false,
          // An API key given in Authorize lasts as long as the page, never in localStorage.
          persistAuthorization: false,
          // Reading first: each operation's "Try it out" button makes its fields editable.
          tryItOutEnabled: false,
          displayOperationId: true,
          displayRequestDuration: true,
          defaultModelsExpandDepth: 0,
        });
        // From here swagger-ui shows its own progress, and its own error if the document fails to load.
        setState("ready");
      })
      .catch(() => {
        if (!unmounted) setState("failed");
      });
    return () => {
      unmounted = true;
      node.remove();
    };
  }, [specUrl]);

  return (
    <div className="flex flex-col gap-4">
      {state === "loading" && (
        <p role="status" className="text-slate-600">
          Loading the API reference…
        </p>
      )}
      {state === "failed" && (
        <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          The API reference could not be loaded. Reload the page, or read the document itself at{" "}
          <a href={specUrl} className="font-medium underline">
            {specUrl}
          </a>
          .
        </p>
      )}
      <div ref={container} className="api-reference min-w-0" aria-busy={state === "loading"} />
    </div>
  );
}
