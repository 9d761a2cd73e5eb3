/**
 * swagger-ui-dist ships no types: the part of swagger-ui's configuration
 * (swagger.io/docs/open-source-tools/swagger-ui/usage/configuration/) that api-reference.tsx uses.
 */
declare module "swagger-ui-dist/swagger-ui-bundle.js" {
  type SwaggerUIOptions = {
    domNode: HTMLElement;
    url?: string;
    spec?: Record<string, unknown>;
    layout?: string;
    presets?: unknown[];
    plugins?: unknown[];
    deepLinking?: boolean;
    validatorUrl?: string | null;
    tryItOutEnabled?: boolean;
    supportedSubmitMethods?: string[];
    queryConfigEnabled?: boolean;
    persistAuthorization?: boolean;
    displayOperationId?: boolean;
    displayRequestDuration?: boolean;
    defaultModelsExpandDepth?: number;
    docExpansion?: "list" | "full" | "none";
    showExtensions?: boolean;
    withCredentials?: boolean;
    requestSnippetsEnabled?: boolean;
    syntaxHighlight?: false | { activated?: boolean; theme?: string };
  };

  type SwaggerUIBundle = ((options: SwaggerUIOptions) => unknown) & {
    presets: { apis: unknown };
  };

  const SwaggerUIBundle: SwaggerUIBundle;
  export default SwaggerUIBundle;
}
