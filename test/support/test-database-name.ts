/** Databases the harness may create, use and drop carry this mark in their name. */
const testName = /(^|_)test(_|$)/;

/** Refuses to touch a database whose name does not mark it as a test database. */
export function assertTestDatabaseName(name: string): void {
  if (!testName.test(name)) {
    throw new Error(
      `Refusing to use database "${name}" for tests: its name must contain ` +
        `"test" as a word (e.g. baton_test). Point DATABASE_URL at a test database.`,
    );
  }
}

/** The database name of a postgres:// URL. */
export function databaseNameOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}

/** The same server, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}
