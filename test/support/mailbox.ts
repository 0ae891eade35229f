/**
 * What test/support/smtp.ts and sms.ts share: messages kept in arrival order, and a
 * `waitForMessage(to)` that returns the oldest one to `to` no earlier call returned, waiting for
 * it when it has not arrived yet.
 */
export interface Mailbox<T> {
  messages: T[];
  deliver(message: T): void;
  waitForMessage(to: string, timeoutMs?: number): Promise<T>;
}

export function createMailbox<T>(isFor: (message: T, to: string) => boolean, kind: string): Mailbox<T> {
  const taken = new Set<T>();
  const waiters = new Set<() => void>();
  const mailbox: Mailbox<T> = {
    messages: [],
    deliver(message) {
      mailbox.messages.push(message);
      for (const wake of waiters) wake();
    },
    waitForMessage(to, timeoutMs = 5000) {
      const next = () => {
        const found = mailbox.messages.find((message) => !taken.has(message) && isFor(message, to));
        if (found !== undefined) taken.add(found);
        return found;
      };
      const ready = next();
      if (ready !== undefined) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(
            new Error(`no ${kind} to ${to} within ${timeoutMs} ms (${mailbox.messages.length} received)`),
          );
        }, timeoutMs);
        const wake = () => {
          const found = next();
          if (found === undefined) return;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(found);
        };
        waiters.add(wake);
      });
    },
  };
  return mailbox;
}
