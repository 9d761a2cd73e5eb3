// The app's own liveness route, which the harness polls before it starts measuring.
export { GET } from "@/app/api/health/route";

export const dynamic = "force-dynamic";
