/** The user `npm run dev` seeds and prints, for trying the app in a browser. */
export const DEMO_EMAIL = "demo@example.com";
export const DEMO_PASSWORD = "demo-password-1234";
