import type { Command } from "commander";
import { bashScript } from "./bash.js";
import { fishScript } from "./fish.js";
import { completionTree, type CompletionShell } from "./tree.js";
import { zshScript } from "./zsh.js";

/**
 * The completion script for a shell, generated from the program's command tree, so it
 * completes exactly the commands and options the CLI has. Global options complete everywhere;
 * values of file options complete as file names; statuses, modules, threads and message ids
 * come from `claude-comms __complete KIND` (the daemon, asked briefly; nothing when it is down).
 */
export function completionScript(program: Command, shell: CompletionShell): string {
  const tree = completionTree(program);
  if (shell === "bash") return bashScript(tree);
  return shell === "zsh" ? zshScript(tree) : fishScript(tree);
}
