/**
 * A token's times (NumericDate, seconds since the epoch) as text. V8 formats a date through
 * snprintf, ~7k instructions, and the same few times come again and again (a client sends one
 * token many times; a refusal names its token's exp and iat, and this second): each form keeps
 * the texts of the last few hundred times it was asked for.
 */

/** `format`, remembering its text for up to `kept` numbers, then starting again. */
function remembered(format: (seconds: number) => string, kept = 256): (seconds: number) => string {
  const texts = new Map<number, string>();
  return (seconds) => {
    let text = texts.get(seconds);
    if (text === undefined) {
      text = format(seconds);
      if (texts.size >= kept) texts.clear();
      texts.set(seconds, text);
    }
    return text;
  };
}

/** As `Date#toISOString` writes it (the data answer's `expires_at`). */
export const isoTime = remembered((seconds) => new Date(seconds * 1000).toISOString());

/** The same, without milliseconds when they are zero (`…:00Z`), as refusals name times. */
export const isoSeconds = remembered((seconds) =>
  new Date(seconds * 1000).toISOString().replace('.000Z', 'Z'),
);
