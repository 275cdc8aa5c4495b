// The typed clients of the daemon's services. One module per service, so that a program
// (the CLI) loads only the generated code of the services it calls.
export { createPollingClient, type PollingClient } from "./polling-client.js";
export { createMessageClient, type MessageClient } from "./message-client.js";
export { createModuleClient, type ModuleClient } from "./module-client.js";
export { createTransport, describeTarget, type ClientOptions, type TransportOptions } from "./transport.js";
