import { readFile } from 'node:fs/promises'
import yaml from 'js-yaml'

/**
 * Parses a YAML file into plain JSON values, with js-yaml (a dependency of the project).
 *
 * The default schema is used because docker-compose.yml has merge keys (`<<: *restart`);
 * its timestamps and binaries would come back as Date and Uint8Array, so the result goes
 * through JSON once to stay plain JSON (none of the stack's files has either).
 * Parse errors name the file, line and column.
 */
export async function readYaml (path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8')
  let value: unknown
  try {
    value = yaml.load(text, { filename: path, schema: yaml.DEFAULT_SCHEMA })
  } catch (error) {
    throw new Error(`cannot parse ${path} as YAML: ${error instanceof Error ? error.message : String(error)}`)
  }
  return value === undefined ? null : JSON.parse(JSON.stringify(value)) as unknown
}

/**
 * Serialises a value for a YAML consumer. JSON is valid YAML (1.2, and 1.1 as Prometheus
 * and Alertmanager read it), so generated test configs are written as JSON.
 */
export function toYaml (value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`
}
