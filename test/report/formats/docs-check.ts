/** A name counts as documented when it is in a heading or appears as a code span. */
export function documented(markdown: string, name: string): boolean {
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^#+ .*\\b${esc}\\b`, 'm').test(markdown) || markdown.includes(`\`${name}\``);
}
