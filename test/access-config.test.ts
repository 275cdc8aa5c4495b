import fs from "node:fs";
import path from "node:path";
import { Code, createContextValues, createHandlerContext } from "@connectrpc/connect";
import { afterAll, describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { ModuleService, RegisterModuleRequestSchema } from "../gen/claude_comms/v1/module_service_pb.js";
import { PollingService } from "../gen/claude_comms/v1/polling_service_pb.js";
import { parseDaemonConfig, SETTINGS } from "../src/daemon/config.js";
import { openLogger } from "../src/daemon/logger.js";
import type { ServiceContext } from "../src/service/context.js";
import { toConnectError } from "../src/service/errors.js";
import { moduleService } from "../src/service/module-service.js";
import { listModules } from "../src/store/modules.js";
import { openStore } from "../src/store/open-store.js";
import { isLocalPeer, kPeer, requireLocalPeer, type Peer } from "../src/service/peer.js";
import { isLoopback } from "../src/common/loopback.js";
import { makeTempHome } from "./helpers/temp-home.js";

/*
 * The access rules as configuration and pure decisions: which listen addresses need a token,
 * where the token comes from, what counts as a local peer for StopDaemon. The same rules
 * against a running daemon are in access.test.ts.
 */

const temp = makeTempHome("cc-acc-");
afterAll(() => temp.cleanup());

const tokenFile = path.join(temp.home, "token");
fs.writeFileSync(tokenFile, "0123456789abcdef0123456789abcdef\n", { mode: 0o600 });
const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseDaemonConfig(["--home", temp.home, ...argv], env);

describe("daemon access configuration", () => {
  it("refuses a non-loopback --listen without a token, saying how to set one", () => {
    expect(() => parse(["--listen", "0.0.0.0:7777"])).toThrow(/not a loopback address.*--token-file FILE or CLAUDE_COMMS_TOKEN/);
    expect(() => parse(["--listen", "[::]:7777"])).toThrow(/not a loopback address/);
  });

  it("allows a non-loopback --listen with a token from a file or the environment", () => {
    const fromFile = parse(["--listen", "0.0.0.0:7777", "--token-file", tokenFile]);
    expect(fromFile.listen).toEqual({ host: "0.0.0.0", port: 7777, loopback: false });
    expect(fromFile.token).toBe("0123456789abcdef0123456789abcdef");
    expect(parse(["--listen", "192.0.2.1:1"], { CLAUDE_COMMS_TOKEN: "x".repeat(20) }).token).toBe("x".repeat(20));
    expect(parse([], { CLAUDE_COMMS_TOKEN_FILE: tokenFile }).token).toBe("0123456789abcdef0123456789abcdef");
    expect(parse(["--listen", "127.0.0.1:0"]).listen?.loopback).toBe(true);
  });

  it("explains every bad token source", () => {
    expect(() => parse(["--token", "secret"])).toThrow(/takes no --token flag.*--token-file FILE or set CLAUDE_COMMS_TOKEN/);
    expect(() => parse([], { CLAUDE_COMMS_TOKEN: "short" })).toThrow(/5 characters; use at least 16/);
    expect(() => parse(["--token-file", path.join(temp.home, "missing")])).toThrow(/cannot read the token file .*missing \(--token-file\): ENOENT/);
    expect(() => parse([], { CLAUDE_COMMS_TOKEN: "y".repeat(20), CLAUDE_COMMS_TOKEN_FILE: tokenFile })).toThrow(/both CLAUDE_COMMS_TOKEN and CLAUDE_COMMS_TOKEN_FILE/);
    // A flag beats a variable.
    expect(parse(["--token-file", tokenFile], { CLAUDE_COMMS_TOKEN: "z".repeat(20) }).token).toBe("0123456789abcdef0123456789abcdef");
    const empty = path.join(temp.home, "empty");
    fs.writeFileSync(empty, "\n");
    expect(() => parse(["--token-file", empty])).toThrow(/is empty/);
  });

  it("needs both TLS files, and reads the log format", () => {
    expect(() => parse(["--tls-cert", "c.pem"])).toThrow(/TLS needs both --tls-cert and --tls-key/);
    expect(parse(["--tls-cert", "c.pem", "--tls-key", "k.pem"]).tls).toEqual({ certFile: "c.pem", keyFile: "k.pem" });
    expect(parse([], { CLAUDE_COMMS_LOG_FORMAT: "text" }).logFormat).toBe("text");
    expect(() => parse(["--log-format", "xml"])).toThrow(/--log-format must be one of json, text/);
  });

  it("has a variable for every setting, and a flag for every setting but the token itself", () => {
    for (const [name, setting] of Object.entries(SETTINGS)) {
      expect(setting.env).toBe(`CLAUDE_COMMS_${name.toUpperCase().replace(/-/g, "_")}`);
    }
    expect(Object.entries(SETTINGS).filter(([, s]) => "flag" in s).map(([name]) => name)).toEqual(["token"]);
  });
});

describe("text log format", () => {
  it("writes one readable line per entry, with fields as key=value", () => {
    const file = path.join(temp.home, "text.log");
    const log = openLogger(file, "info", "text");
    log.debug("hidden");
    log.info("daemon started", { pid: 12, listen: ["unix:/x"], store: "sqlite:/a b" });
    log.close();
    const lines = fs.readFileSync(file, "utf8").trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z INFO daemon started pid=12 listen=\["unix:\/x"\] store="sqlite:\/a b"$/);
  });
});

describe("local peers", () => {
  it("counts the Unix socket and loopback addresses as local, nothing else", () => {
    for (const address of ["127.0.0.1", "127.3.4.5", "::1", "::ffff:127.0.0.1", "0:0:0:0:0:0:0:1", "localhost"]) {
      expect(isLoopback(address), address).toBe(true);
    }
    for (const address of ["0.0.0.0", "::", "10.0.0.1", "192.168.1.2", "::ffff:10.0.0.1", "2001:db8::1", "128.0.0.1", undefined]) {
      expect(isLoopback(address), String(address)).toBe(false);
    }
    expect(isLocalPeer({ listener: "unix" })).toBe(true);
    expect(isLocalPeer({ listener: "tcp", address: "203.0.113.9" })).toBe(false);
  });

  it("refuses StopDaemon PERMISSION_DENIED from a peer on another machine", () => {
    const contextOf = (peer: Peer) =>
      createHandlerContext({
        service: PollingService,
        method: PollingService.method.stopDaemon,
        protocolName: "grpc",
        requestMethod: "POST",
        url: "http://daemon/claude_comms.v1.PollingService/StopDaemon",
        contextValues: createContextValues().set(kPeer, peer),
      });
    expect(() => requireLocalPeer(contextOf({ listener: "tcp", address: "127.0.0.1" }), "StopDaemon")).not.toThrow();
    let refused: unknown;
    try {
      requireLocalPeer(contextOf({ listener: "tcp", address: "203.0.113.9" }), "StopDaemon");
    } catch (err) {
      refused = err;
    }
    expect(toConnectError(refused)).toMatchObject({
      code: Code.PermissionDenied,
      rawMessage: "StopDaemon is allowed only from this machine (the Unix socket or a loopback address), not from 203.0.113.9",
    });
  });
});

describe("RegisterModule with an agent_command", () => {
  it("is PERMISSION_DENIED over TCP, loopback included, and writes nothing; allowed on the Unix socket, and without one from anywhere", async () => {
    const store = await openStore({ path: path.join(temp.home, "modules.db") });
    try {
      // The handler reaches only the store; the rest of a daemon's context plays no part here.
      const service = moduleService({ store } as ServiceContext);
      const contextOf = (peer: Peer) =>
        createHandlerContext({
          service: ModuleService,
          method: ModuleService.method.registerModule,
          protocolName: "grpc",
          requestMethod: "POST",
          url: "http://daemon/claude_comms.v1.ModuleService/RegisterModule",
          contextValues: createContextValues().set(kPeer, peer),
        });
      const remote = contextOf({ listener: "tcp", address: "203.0.113.9" });
      const withCommand = create(RegisterModuleRequestSchema, {
        module: { name: "m1", directory: temp.home, agentCommand: ["/bin/sh", "-c", "id"] },
      });
      let refused: unknown;
      try {
        await service.registerModule(withCommand, remote);
      } catch (err) {
        refused = err;
      }
      const refusal =
        "registering a module with an agent_command is accepted only over the daemon's Unix socket, by the user it runs as, never over TCP: run the command on the daemon's host as that user";
      expect(toConnectError(refused)).toMatchObject({ code: Code.PermissionDenied, rawMessage: refusal });
      // Loopback TCP is no better: any local user can reach it.
      const loopback = contextOf({ listener: "tcp", address: "127.0.0.1" });
      await expect(service.registerModule(withCommand, loopback)).rejects.toMatchObject({ message: refusal });
      expect(await listModules(store.reader)).toEqual([]);
      const plain = create(RegisterModuleRequestSchema, { module: { name: "m2", directory: temp.home } });
      expect((await service.registerModule(plain, remote)).created).toBe(true);
      const local = contextOf({ listener: "unix" });
      expect((await service.registerModule(withCommand, local)).module?.agentCommand).toEqual(["/bin/sh", "-c", "id"]);
    } finally {
      await store.close();
    }
  });
});
