// `tsv run` passes the signals a terminal or a supervisor sends it on to the
// program's first process (Ctrl-C is SIGINT to the program, a `kill` of tsv
// reaches its SIGTERM handler), as if the program were running natively.
import { constants } from 'node:os';

/** The signals forwarded: those a terminal, a shell or a service manager sends to a foreground program. */
export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

/** Delivers each forwarded signal this process gets to `send` (by number) until the returned function is called. */
export function forwardSignals(send: (signal: number) => void): () => void {
  const handlers = FORWARDED_SIGNALS.map((name) => {
    const handler = () => send(constants.signals[name]);
    process.on(name, handler);
    return () => process.off(name, handler);
  });
  return () => {
    for (const off of handlers) off();
  };
}
