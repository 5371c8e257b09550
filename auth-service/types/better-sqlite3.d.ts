/**
 * The part of better-sqlite3's API the auth service uses (the package ships no types and
 * @types/better-sqlite3 is not installed). Kept to what we call, so a wrong call fails to compile.
 */
declare module 'better-sqlite3' {
  namespace Database {
    interface Statement<P extends unknown[] = unknown[], R = unknown> {
      get(...params: P): R | undefined;
      all(...params: P): R[];
      run(...params: P): { changes: number; lastInsertRowid: number | bigint };
    }
    interface Database {
      prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): Statement<P, R>;
      exec(sql: string): this;
      pragma(source: string): unknown;
      transaction<F extends (...args: never[]) => unknown>(fn: F): F;
      close(): this;
      readonly open: boolean;
    }
    interface Options {
      readonly?: boolean;
      fileMustExist?: boolean;
      timeout?: number;
    }
  }
  interface DatabaseConstructor {
    new (filename: string, options?: Database.Options): Database.Database;
  }
  const Database: DatabaseConstructor;
  export default Database;
}
