/**
 * Splits text into parts of at most `maxLength` code points, preferring to break after
 * a newline or a space in the last fifth of a part, never inside a surrogate pair.
 */
export function splitText(text: string, maxLength: number): string[] {
  const characters = Array.from(text);
  if (characters.length <= maxLength) return [text];
  const parts: string[] = [];
  let start = 0;
  while (start < characters.length) {
    let end = Math.min(start + maxLength, characters.length);
    if (end < characters.length) {
      const floor = start + Math.floor(maxLength * 0.8);
      for (let index = end; index > floor; index--) {
        const previous = characters[index - 1];
        if (previous === '\n' || previous === ' ') {
          end = index;
          break;
        }
      }
    }
    parts.push(characters.slice(start, end).join(''));
    start = end;
  }
  return parts;
}
