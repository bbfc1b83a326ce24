/**
 * The lines of a config file from the first line matching `from`, with one leading '# '
 * after `prefix` removed: the file's commented examples, made live so a tool can check them.
 * @param prefix the indentation of the commented lines, e.g. '    '
 */
export function uncommentFrom (text: string, from: RegExp, prefix: string): string {
  const lines = text.split('\n')
  const start = lines.findIndex((line) => from.test(line))
  return lines.map((line, i) => (i >= start && line.startsWith(`${prefix}# `) ? prefix + line.slice(prefix.length + 2) : line)).join('\n')
}
