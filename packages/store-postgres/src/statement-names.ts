/**
 * Names for statements kept prepared, by text: the same text gets the same name in every
 * connection (the server parses and plans it once per connection). Bounded: past `limit`
 * texts a new text gets no name and runs unprepared, rather than growing every connection's
 * statement cache without end (a text built from a call's filters adds one per variant seen).
 */
export function statementNames(prefix: string, limit = 400): (text: string) => string | undefined {
  const names = new Map<string, string>();
  return (text) => {
    let name = names.get(text);
    if (name === undefined && names.size < limit) {
      name = `${prefix}${names.size + 1}`;
      names.set(text, name);
    }
    return name;
  };
}
