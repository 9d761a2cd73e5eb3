import { failOnConsoleError } from "../helpers/fail-on-console-error";

failOnConsoleError();
