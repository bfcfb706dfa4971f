/**
 * Names and text taken from a weight file, made safe to put in a one-line error message: a
 * crafted or damaged file can hold newlines, control characters or megabytes in a name.
 */
export function printable(text: string, max = 80): string {
  const clipped = text.length > max ? `${text.slice(0, max)}...` : text;
  // JSON escapes control characters (\n, \u0000); the outer quotes are dropped.
  return JSON.stringify(clipped).slice(1, -1);
}
