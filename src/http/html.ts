/** HTML the tracker writes itself (the landing page, the peer view's page). */

/** Escapes text for an HTML text node or a quoted attribute value: & < > " ' as numeric references. */
export function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}
