import fs from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { connectClients, type TestClients } from "./clients.js";
import { startDaemonProcess, type DaemonProcess } from "./daemon-process.js";
import { makeTempHome } from "./temp-home.js";

/** Debian's chromium package: the browser the dashboard tests drive (never downloaded). */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * Launches headless chromium (a fresh temporary profile each launch). Throws, saying what
 * to install, when the browser is missing: these tests must fail, never skip.
 */
export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the dashboard tests drive Debian's chromium (apt-get install chromium)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 20_000,
    args: ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** A daemon serving a dashboard on a free loopback port, with clients on its socket. */
export interface DashboardDaemon {
  daemon: DaemonProcess;
  clients: TestClients;
  home: string;
  /** "127.0.0.1:PORT". */
  address: string;
  /** The bearer token (the home's generated token file). */
  token: string;
  /** A fresh one-time link. */
  link(): Promise<string>;
  stop(): Promise<void>;
}

/** Starts a daemon with `--dashboard 127.0.0.1:0` in a fresh home. */
export async function startDashboardDaemon(args: string[] = []): Promise<DashboardDaemon> {
  const { home, cleanup } = makeTempHome("ccdash-");
  const daemon = await startDaemonProcess(home, ["--dashboard", "127.0.0.1:0", "--interval", "0.05", ...args]);
  const clients = connectClients(daemon.socket);
  const status = await clients.polling.getDaemonStatus({});
  return {
    daemon,
    clients,
    home,
    address: status.dashboard,
    token: fs.readFileSync(`${home}/token`, "utf8").trim(),
    link: async () => (await clients.polling.createDashboardLink({})).url,
    stop: async () => {
      await daemon.stop();
      cleanup();
    },
  };
}
