/** Package version of the wire/API contract this build implements. */
export const PACKAGE_NAME = '@dfs/gossip';
