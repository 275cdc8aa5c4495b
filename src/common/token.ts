import fs from "node:fs";

/** Where a bearer token may come from, in order of precedence: a flag beats a variable. */
export interface TokenSources {
  /** `--token TOKEN` (the CLI only: a daemon flag would show the token in `ps`). */
  flagToken?: string;
  /** `--token-file FILE`. */
  flagFile?: string;
  /** `$CLAUDE_COMMS_TOKEN`. */
  envToken?: string;
  /** `$CLAUDE_COMMS_TOKEN_FILE`. */
  envFile?: string;
}

/**
 * Resolves the bearer token: a flag beats a variable; two sources at the same level (a token
 * and a token file) are refused rather than silently picking one. Returns undefined when no
 * source is set. Throws an Error saying what to change.
 */
export function resolveToken(sources: TokenSources): string | undefined {
  const { flagToken, flagFile, envToken, envFile } = sources;
  if (flagToken && flagFile) throw new Error("give either --token or --token-file, not both");
  if (flagToken) return checkToken(flagToken, "--token");
  if (flagFile) return readTokenFile(flagFile, "--token-file");
  if (envToken && envFile) {
    throw new Error("both CLAUDE_COMMS_TOKEN and CLAUDE_COMMS_TOKEN_FILE are set: unset one of them");
  }
  if (envToken) return checkToken(envToken, "CLAUDE_COMMS_TOKEN");
  if (envFile) return readTokenFile(envFile, "CLAUDE_COMMS_TOKEN_FILE");
  return undefined;
}

/** Reads a token file: its first line, surrounding whitespace removed. */
export function readTokenFile(file: string, source: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new Error(`cannot read the token file ${file} (${source}): ${code}`);
  }
  return checkToken(text.split("\n")[0] ?? "", `${source} ${file}`);
}

// A header value cannot carry control characters or spaces, so such a token could never match.
function checkToken(token: string, source: string): string {
  const trimmed = token.trim();
  if (!trimmed) throw new Error(`the token from ${source} is empty`);
  if (!/^[\x21-\x7e]+$/.test(trimmed)) {
    throw new Error(`the token from ${source} has spaces or non-ASCII characters: use printable ASCII (for example: openssl rand -hex 32)`);
  }
  return trimmed;
}
