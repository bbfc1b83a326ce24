/** Plain HTTP asks for tests. */

/** The status code of GET url, or undefined while nothing accepts connections there. */
export async function statusOf (url: string): Promise<number | undefined> {
  try {
    const response = await fetch(url)
    await response.arrayBuffer()
    return response.status
  } catch {
    return undefined
  }
}
