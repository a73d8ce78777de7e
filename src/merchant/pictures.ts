// Product pictures as small inline SVGs (data: URIs), drawn here rather than fetched: the chat
// shows them under its CSP (img-src 'self' data:) and they look the same on every device,
// unlike emoji, which depend on the fonts a machine has.
export type PictureKind = 'book' | 'bag' | 'tin' | 'mug';

function shape(kind: PictureKind, colour: string, accent: string): string {
  switch (kind) {
    case 'book':
      return `<rect x="12" y="7" width="26" height="34" rx="2" fill="${colour}"/><rect x="12" y="7" width="4" height="34" fill="#0003"/><rect x="19" y="14" width="15" height="4" rx="1" fill="${accent}"/><rect x="19" y="21" width="11" height="2" rx="1" fill="#fff8"/><rect x="38" y="9" width="3" height="31" fill="#f4efe4"/>`;
    case 'bag':
      return `<path d="M14 12h20l3 29H11z" fill="${colour}"/><path d="M14 12l3-5h14l3 5" fill="${colour}" stroke="#0002"/><rect x="16" y="21" width="16" height="11" rx="2" fill="${accent}"/><circle cx="24" cy="26.5" r="3" fill="${colour}"/>`;
    case 'tin':
      return `<rect x="13" y="12" width="22" height="29" rx="3" fill="${colour}"/><rect x="12" y="8" width="24" height="6" rx="2" fill="#0004"/><rect x="16" y="20" width="16" height="12" rx="2" fill="${accent}"/><path d="M20 27c2-4 6-4 8 0" stroke="${colour}" stroke-width="2" fill="none"/>`;
    case 'mug':
      return `<rect x="10" y="13" width="22" height="26" rx="3" fill="${colour}"/><path d="M32 18h4a5 5 0 0 1 0 12h-4" stroke="${colour}" stroke-width="4" fill="none"/><rect x="14" y="21" width="14" height="6" rx="2" fill="${accent}"/>`;
  }
}

/** A 48×48 picture of a product as a data: URI. */
export function pictureUri(kind: PictureKind, colour: string, accent = '#f6d98b'): string {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48" width="48" height="48">${shape(kind, colour, accent)}</svg>`;
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}
