import type { Argument, Command, Option } from "commander";

/** Shells `claude-comms completion` writes a script for. */
export const COMPLETION_SHELLS = ["bash", "zsh", "fish"] as const;
/** One of {@link COMPLETION_SHELLS}. */
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

/** Values the CLI completes by asking `claude-comms __complete KIND` (statuses need no daemon). */
export const VALUE_KINDS = ["statuses", "modules", "messages", "threads"] as const;
/** One of {@link VALUE_KINDS}. */
export type ValueKind = (typeof VALUE_KINDS)[number];

/** A command of the tree, flattened: its path ("poll start"), subcommands (or argument choices), options and arguments. */
export interface CommandNode {
  path: string;
  children: Array<{ name: string; description: string }>;
  options: Array<{ flags: string[]; description: string }>;
  /** What each positional argument completes to, in order ("" for nothing). */
  args: Array<ValueKind | "">;
}

/** What a completion script is generated from. */
export interface CompletionTree {
  name: string;
  nodes: CommandNode[];
  /** Flags that take a value (the next word is not a command). */
  valueFlags: string[];
  /** Flags whose value is a file name. */
  fileFlags: string[];
  /** Flags whose value is one of a kind of values ("--status" → statuses). */
  flagKinds: Array<[string, ValueKind]>;
  /** The root's flags that take a value: passed on to `__complete` so it asks the same daemon. */
  globalValueFlags: string[];
}

/** The completion tree of a program: commands, options and what their values are. */
export function completionTree(program: Command): CompletionTree {
  const commands = walk(program);
  const options = commands.flatMap((c) => c.options);
  const unique = (flags: string[]) => [...new Set(flags)];
  const flagKinds = new Map<string, ValueKind>();
  for (const option of options.filter(takesValue)) {
    const kind = optionKind(option);
    if (kind && option.long) flagKinds.set(option.long, kind);
  }
  return {
    name: program.name(),
    nodes: flatten(program, []),
    valueFlags: unique(options.filter(takesValue).flatMap(flagsOf)),
    fileFlags: unique(options.filter(takesFile).flatMap(flagsOf)),
    flagKinds: [...flagKinds],
    globalValueFlags: program.options.filter(takesValue).flatMap(flagsOf),
  };
}

function walk(command: Command): Command[] {
  return [command, ...command.commands.filter((c) => !isHidden(c)).flatMap(walk)];
}

function isHidden(command: Command): boolean {
  return (command as unknown as { _hidden?: boolean })._hidden === true;
}

function flatten(command: Command, path: string[]): CommandNode[] {
  const visible = command.commands.filter((c) => !isHidden(c));
  const own: CommandNode = {
    path: path.join(" "),
    children: visible.length
      ? visible.map((c) => ({ name: c.name(), description: c.description() }))
      : (command.registeredArguments[0]?.argChoices ?? []).map((name) => ({ name, description: name })),
    options: [...command.options.map((o) => ({ flags: flagsOf(o), description: o.description })), { flags: ["-h", "--help"], description: "show help" }],
    args: command.registeredArguments.map(argumentKind),
  };
  return [own, ...visible.flatMap((c) => flatten(c, [...path, c.name()]))];
}

// From the argument's name and description: "<id>" "message id", "<status>", "<name>" "module name".
function argumentKind(argument: Argument): ValueKind | "" {
  const text = `${argument.name()} ${argument.description}`;
  if (/status/.test(text)) return "statuses";
  if (/thread id/.test(text)) return "threads";
  if (/module/.test(text)) return "modules";
  if (/message id/.test(text)) return "messages";
  return "";
}

function optionKind(option: Option): ValueKind | undefined {
  const long = option.long ?? "";
  if (long === "--status") return "statuses";
  if (long === "--thread") return "threads";
  if (["--module", "--from", "--to"].includes(long)) return "modules";
  return undefined;
}

function flagsOf(option: Option): string[] {
  return [option.short, option.long].filter((f): f is string => Boolean(f));
}

function takesValue(option: Option): boolean {
  return option.required || option.optional;
}

function takesFile(option: Option): boolean {
  return takesValue(option) && /<(file|dir|path)>/.test(option.flags);
}

/** The script's function prefix for a program name: `_claude_comms`. */
export function functionName(name: string): string {
  return `_${name.replace(/[^A-Za-z0-9]/g, "_")}`;
}
