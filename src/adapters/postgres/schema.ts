import type { ColumnType, Generated } from 'kysely';

/** Tables as kysely sees them; one interface per table, columns as Postgres returns them. */
export interface DatabaseSchema {
  installation: InstallationTable;
}

export interface InstallationTable {
  id: Generated<string>;
  singleton: Generated<boolean>;
  created_at: ColumnType<Date, never, never>;
}
