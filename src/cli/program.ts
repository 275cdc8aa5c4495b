import { Argument, Command, Option } from "commander";
import { VERSION } from "../common/version.js";
import { SETTINGS, type Setting } from "../common/settings.js";
import type { CommandContext } from "./context.js";
import { errorJson } from "./errors.js";
import { EXIT_CODES_HELP, ExitCode } from "./exit-codes.js";
import type { GlobalOptions } from "./global-options.js";

/** Where a command run leaves its exit code. */
export interface RunResult {
  exitCode: number;
}

// A command's implementation, loaded only when that command runs: `poll list` must not pay
// for loading `poll start` (or anything else it does not use).
// `never` parameters accept every command's own option and argument types.
type RunFn = (ctx: CommandContext, opts: never, ...args: never[]) => Promise<number | void>;

/**
 * Builds the `claude-comms` command tree. Parsing is light: each action imports its command
 * module (and, through it, the generated client) only when it runs.
 */
export function buildProgram(result: RunResult): Command {
  const lazy = (load: () => Promise<RunFn>) =>
    async (...raw: unknown[]) => {
      const command = raw[raw.length - 1] as Command;
      const [run, { createCommandContext }] = await Promise.all([load(), import("./context.js")]);
      const ctx = createCommandContext(command.optsWithGlobals() as GlobalOptions);
      const code = await run(ctx, command.opts() as never, ...(raw.slice(0, -2) as never[]));
      result.exitCode = code ?? 0;
    };
  const program = createRoot();
  addPollCommands(program, lazy);
  addWriterCommands(program, lazy);
  addCompletionCommand(program, lazy);
  configureErrors(program);
  return program;
}

// `poll watch ID` follows one message; without an id, the filters select many.
const watchOneOrMany = (async (ctx: CommandContext, opts: never, id?: string) =>
  id
    ? (await import("./commands/poll-watch.js")).run(ctx, opts, id)
    : (await import("./commands/poll-watch-many.js")).run(ctx, opts)) as RunFn;

type Lazy = (load: () => Promise<RunFn>) => (...raw: unknown[]) => Promise<void>;

function createRoot(): Command {
  return new Command("claude-comms")
    .description("Track, watch and wait for messages exchanged between modules (a client of the claude-comms daemon).")
    .version(VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .addOption(new Option("--home <dir>", "the daemon's state directory").env("CLAUDE_COMMS_HOME"))
    .addOption(new Option("--address <host:port>", "reach the daemon over TCP instead of its Unix socket").env("CLAUDE_COMMS_ADDRESS"))
    .addOption(new Option("--token <token>", "bearer token for a daemon on TCP (env: CLAUDE_COMMS_TOKEN; visible in ps, prefer --token-file)"))
    .addOption(new Option("--token-file <file>", "file whose first line is the bearer token (env: CLAUDE_COMMS_TOKEN_FILE)"))
    .addOption(new Option("--tls-ca <file>", "connect to --address with TLS, trusting this PEM CA certificate").env("CLAUDE_COMMS_TLS_CA"))
    .option("--json", "print responses as protobuf JSON, one object per line")
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .addHelpText("after", EXIT_CODES_HELP)
    .exitOverride()
    .showSuggestionAfterError(true);
}

function addPollCommands(program: Command, lazy: Lazy): void {
  const poll = program.command("poll").description("run the daemon and monitor messages");
  const start = poll.command("start").description("start the daemon (in the background unless --foreground)");
  // Every daemon setting is an option here too, forwarded to the daemon as it is.
  for (const [name, setting] of Object.entries(SETTINGS) as Array<[string, Setting]>) {
    if (setting.flag === false || name === "home" || name === "token-file") continue; // global options
    const shown = setting.default ? ` (default: ${setting.default})` : "";
    start.option(`--${name} <value>`, `${setting.help}${shown}; env ${setting.env}`);
  }
  start
    .option("--foreground", "run in the foreground until interrupted")
    .addHelpText("after", "\nWith a token (global --token-file FILE, --token, or CLAUDE_COMMS_TOKEN) every TCP request must carry it;\na --listen address that is not loopback requires one. The Unix socket needs no token.")
    .action(lazy(async () => (await import("./commands/poll-start.js")).run));
  program.command("dashboard").description("print a one-time link to the daemon's web dashboard (poll start --dashboard PORT)")
    .option("--open", "open the link in the browser instead of printing it")
    .action(lazy(async () => (await import("./commands/dashboard.js")).run));
  poll.command("stop").description("stop the daemon gracefully")
    .action(lazy(async () => (await import("./commands/poll-stop.js")).run));
  poll.command("status").description("show the daemon's state")
    .action(lazy(async () => (await import("./commands/poll-status.js")).run));
  poll.command("list").description("list monitored messages (all messages with --all)")
    .option("--status <status>", "only messages in this status (repeatable)", collect, [] as string[])
    .option("--active", "only pending and processing messages")
    .option("--thread <id>", "only messages of this thread")
    .option("--module <name>", "only messages of this module")
    .option("--all", "every stored message, not only monitored ones")
    .option("--limit <n>", "show at most N rows (default 100 in the table, every row with --json; 0: every row)")
    .option("--page-size <n>", "fetch one page of at most N messages (default: every page)")
    .option("--page-token <token>", "with --page-size: the next_page_token of the previous page")
    .action(lazy(async () => (await import("./commands/poll-list.js")).run));
  poll.command("show").description("show a message and its history")
    .argument("<id>", "message id")
    .option("--content", "also print the content")
    .action(lazy(async () => (await import("./commands/poll-show.js")).run));
  poll.command("add").description("register a message for monitoring")
    .argument("<id>", "message id")
    .option("--thread <id>", "thread of the message (checked when given)")
    .option("--timeout <s>", "time out the message if it has not finished by then")
    .option("--label <key=value>", "label the monitor (repeatable)", collect, [] as string[])
    .action(lazy(async () => (await import("./commands/poll-add.js")).run));
  poll.command("remove").description("stop monitoring a message (does not cancel it)")
    .argument("<id>", "message id")
    .action(lazy(async () => (await import("./commands/poll-remove.js")).run));
  poll.command("watch").description("follow a message until it finishes (exits with its status's code), or many messages")
    .argument("[id]", "message id (omit it to watch many messages with the filters below)")
    .option("--after-seq <n>", "replay events after this seq instead of starting with a snapshot")
    .option("--thread <thread>", "watch every message of a thread (runs until interrupted)")
    .option("--all", "watch every message (runs until interrupted)")
    .option("--status <status>", "with --thread/--all: only events into this status (repeatable)", collect, [] as string[])
    .option("--module <module>", "with --thread/--all: only messages of this module")
    .option("--label <key=value>", "with --thread/--all: only messages whose monitor has this label (repeatable)", collect, [] as string[])
    .action(lazy(async () => watchOneOrMany));
  poll.command("wait").description("wait for a message to finish; exits with its status's code (75 at --timeout)")
    .argument("<id>", "message id")
    .option("--timeout <s>", "give up after this long (default: wait until it finishes)")
    .action(lazy(async () => (await import("./commands/poll-wait.js")).run));
}

function addWriterCommands(program: Command, lazy: Lazy): void {
  program.command("cancel").description("cancel a pending or processing message (and its agent)")
    .argument("<id>", "message id")
    .option("--reason <text>", "why (stored as the message's error)")
    .action(lazy(async () => (await import("./commands/cancel.js")).run));
  const message = program.command("message").description("write messages");
  message.command("create").description("create a message (and its thread); prints the message id")
    .requiredOption("--thread <id>", "thread of the message (created when new)")
    .option("--id <id>", "message id (default: a new UUID)")
    .option("--module <name>", "module writing the message")
    .option("--type <type>", "type of the message (question, response, …)")
    .option("--status <status>", "initial status (default: pending)")
    .option("--content <text>", "initial content")
    .action(lazy(async () => (await import("./commands/message.js")).create));
  message.command("append").description("append text to a message's content")
    .argument("<id>", "message id")
    .argument("<text>", "text to append ('-' reads stdin)")
    .action(lazy(async () => (await import("./commands/message.js")).append));
  message.command("set-status").description("set a message's status")
    .argument("<id>", "message id")
    .argument("<status>", "pending, processing, complete, failed, timed_out or cancelled")
    .option("--error <text>", "error text (for failed, timed_out, cancelled)")
    .action(lazy(async () => (await import("./commands/message.js")).setStatus));
  const thread = program.command("thread").description("read threads");
  thread.command("list").description("list the threads that hold messages, newest activity first")
    .option("--module <name>", "only threads with messages of this module")
    .option("--limit <n>", "show at most N threads (default 100 in the table, every one with --json; 0: all)")
    .action(lazy(async () => (await import("./commands/thread-list.js")).run));
  thread.command("show").description("show a thread's conversation in order")
    .argument("<id>", "thread id")
    .action(lazy(async () => (await import("./commands/thread-show.js")).run));
  addModuleCommands(program, lazy);
}

function addModuleCommands(program: Command, lazy: Lazy): void {
  const module = program.command("module").description("register the modules that answer questions");
  module.command("add").description("register (or update) a module")
    .argument("<name>", "module name")
    .requiredOption("--dir <path>", "working directory of the module's agent")
    .option("--system-prompt <text>", "system prompt for the agent")
    .option("--agent-command <cmd>", "agent command line, split on whitespace (default: the daemon's)")
    .option("--model <model>", "the agent's model, e.g. sonnet (default: Claude Code's)")
    .option("--permission-mode <mode>", "default, acceptEdits, plan or bypassPermissions (default: Claude Code's)")
    .option("--allowed-tool <tool>", "a tool the agent may use without asking, e.g. 'Bash(git:*)' (repeatable)", collect, [] as string[])
    .option("--disallowed-tool <tool>", "a tool the agent may not use (repeatable)", collect, [] as string[])
    .option("--max-turns <n>", "the most turns the agent takes (default: Claude Code's)")
    .option("--append-system-prompt <text>", "added to Claude Code's own system prompt")
    .option("--env <name=value>", "an environment variable for the agent (repeatable)", collect, [] as string[])
    .action(lazy(async () => (await import("./commands/module.js")).add));
  module.command("list").description("list the registered modules")
    .action(lazy(async () => (await import("./commands/module.js")).list));
  module.command("remove").description("remove a module")
    .argument("<name>", "module name")
    .action(lazy(async () => (await import("./commands/module.js")).remove));
  program.command("ask").description("ask a module a question (its agent answers into a response message)")
    .argument("<question...>", "the question ('-' reads stdin)")
    .requiredOption("--from <module>", "the asking module")
    .requiredOption("--to <module>", "the module to ask")
    .option("--thread <id>", "ask in this thread (default: a new one)")
    .option("--new-session", "start a new agent session (default: resume the thread's session with the module)")
    .option("--timeout <s>", "how long the agent may run (default: the daemon's, 10m)")
    .option("--wait", "stream the answer to stdout; exit with its status's code")
    .action(lazy(async () => (await import("./commands/ask.js")).run));
}

function addCompletionCommand(program: Command, lazy: Lazy): void {
  program.command("completion").description("print a shell completion script")
    .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(["bash", "zsh", "fish"]))
    .addHelpText("after", `
Examples:
  source <(claude-comms completion bash)            # this shell; add to ~/.bashrc to keep it
  claude-comms completion zsh > "\${fpath[1]}/_claude-comms"   # zsh, then restart it
  claude-comms completion fish > ~/.config/fish/completions/claude-comms.fish`)
    .action(async (shell: "bash" | "zsh" | "fish") => {
      const { completionScript } = await import("./completion/script.js");
      process.stdout.write(completionScript(program, shell));
    });
  // What the completion scripts ask for values: statuses, modules, threads, message ids.
  program.command("__complete", { hidden: true })
    .argument("<kind>", "statuses, modules, threads or messages")
    .action(lazy(async () => (await import("./completion/values.js")).run));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

// Usage errors print one line like every other error, naming the help to read.
function configureErrors(command: Command): void {
  const path = commandPath(command);
  command.configureOutput({
    outputError: (text, write) => {
      const message = `${text.trim().replace(/^error: /, "").replace(/\s*\n\s*/g, " ")} (see: ${path} --help)`;
      // With --json a script reads errors too: the same one object as every other error.
      write(jsonRequested() ? `${errorJson(ExitCode.USAGE, message)}\n` : `claude-comms: ${message}\n`);
    },
  });
  for (const sub of command.commands) configureErrors(sub);
}

// --json among the options (before a `--`), whether or not parsing got that far.
function jsonRequested(): boolean {
  const args = process.argv.slice(2);
  const end = args.indexOf("--");
  return (end < 0 ? args : args.slice(0, end)).includes("--json");
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}
