/** The options every command accepts (defined on the root command). */
export interface GlobalOptions {
  /** `--home DIR` / `$CLAUDE_COMMS_HOME`: the daemon's state directory. */
  home?: string;
  /** `--address HOST:PORT` / `$CLAUDE_COMMS_ADDRESS`: reach the daemon over TCP. */
  address?: string;
  /** `--token TOKEN` / `$CLAUDE_COMMS_TOKEN`: bearer token for a non-loopback daemon. */
  token?: string;
  /** `--json`: print responses as protobuf canonical JSON, one object per line. */
  json?: boolean;
}
