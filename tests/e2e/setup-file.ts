import { failOnConsoleError } from "../helpers/fail-on-console-error";

// The test code's own console; the browser's and the server's are checked by startBrowserForFile.
failOnConsoleError();
