/** Exit 2: the command line itself is wrong (unknown flag, bad number, unknown preset…). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Exit 1: the command was fine but could not be carried out (missing file, corrupt checkpoint…). */
export class CommandError extends Error {
  override name = 'CommandError';
}
