/** A result row as `pg` returns it. */
export type Row = Record<string, unknown>;
