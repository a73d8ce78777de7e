// The commands a newcomer types, read from README.md: every line of its ```sh blocks, in
// order (`a && b` is two steps, `# …` is a comment), and the local URLs it quotes.

export interface ReadmeCommand {
  /** The command as README states it. */
  command: string;
  /** The heading it appears under, to say where a failing command came from. */
  section: string;
}

export function readmeCommands(markdown: string): ReadmeCommand[] {
  const out: ReadmeCommand[] = [];
  let section = '';
  let inShell = false;
  let inOtherBlock = false;
  for (const line of markdown.split('\n')) {
    const fence = /^```\s*(\S*)/.exec(line);
    if (fence) {
      if (inShell || inOtherBlock) {
        inShell = false;
        inOtherBlock = false;
      } else if (fence[1] === 'sh' || fence[1] === 'bash' || fence[1] === 'shell') inShell = true;
      else inOtherBlock = true;
      continue;
    }
    if (!inShell && !inOtherBlock && line.startsWith('#')) section = line.replace(/^#+\s*/, '');
    if (!inShell) continue;
    const command = line.replace(/(^|\s)#.*$/, '').trim();
    if (!command) continue;
    for (const step of command.split('&&')) out.push({ command: step.trim(), section });
  }
  return out;
}

/** Every `http://127.0.0.1:PORT/…` README quotes in inline code, with `{bank}` as given. */
export function readmeUrls(markdown: string): string[] {
  const urls = new Set<string>();
  for (const m of markdown.matchAll(/`(http:\/\/127\.0\.0\.1:\d+\/[^`\s]*)`/g)) urls.add(m[1]!);
  return [...urls];
}
