// The part of Bun's built-in SQLite module the agent uses to read the previous release's state file.
declare module 'bun:sqlite' {
  export class Database {
    constructor(filename: string, options?: { readonly?: boolean; create?: boolean });
    query(sql: string): { all(): Record<string, unknown>[] };
    close(): void;
  }
}
