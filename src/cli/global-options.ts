/** The options every command accepts (defined on the root command). */
export interface GlobalOptions {
  /** `--home DIR` / `$CLAUDE_COMMS_HOME`: the daemon's state directory. */
  home?: string;
  /** `--address HOST:PORT` / `$CLAUDE_COMMS_ADDRESS`: reach the daemon over TCP. */
  address?: string;
  /** `--token TOKEN` (else `$CLAUDE_COMMS_TOKEN`): bearer token for a daemon on TCP. */
  token?: string;
  /** `--token-file FILE` (else `$CLAUDE_COMMS_TOKEN_FILE`): a file whose first line is the token. */
  tokenFile?: string;
  /** `--tls-ca FILE` / `$CLAUDE_COMMS_TLS_CA`: connect to `--address` with TLS, trusting this CA. */
  tlsCa?: string;
  /** `--json`: print responses as protobuf canonical JSON, one object per line. */
  json?: boolean;
}
