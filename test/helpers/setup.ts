import { afterAll } from "vitest";
import { killLeftoverDaemons } from "./daemon-process.js";

// A failed assertion can skip a test's own stop(): no daemon outlives its test file.
afterAll(() => killLeftoverDaemons());
