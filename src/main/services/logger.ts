// A deliberately small logger: lines to stderr, secrets never passed in (callers log ids, not keys).
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

export function createConsoleLogger(scope: string): Logger {
  const line = (level: string, message: string) =>
    `${new Date().toISOString()} ${level} [${scope}] ${message}`;
  return {
    info: (m) => console.error(line('info ', m)),
    warn: (m) => console.error(line('warn ', m)),
    error: (m, e) => console.error(line('error', m), e instanceof Error ? (e.stack ?? e.message) : (e ?? '')),
  };
}
