// How each bank looks in the chat: its colour and logo mark. Known demo banks have their own;
// any other bank gets a steady colour from its id and its initial, so two banks never look alike
// by accident in the conversation list.
export interface Brand {
  colour: string;
  /** One or two letters shown in the round logo mark. */
  mark: string;
}

const KNOWN: Record<string, Brand> = {
  northwind: { colour: '#1f3a93', mark: 'N' },
  fjord: { colour: '#0b7a75', mark: 'F' },
};

const PALETTE = ['#7b3fa0', '#b5470b', '#2e6b30', '#8c1d40', '#3b5b92', '#6b5b00'];

export function brandOf(bankId: string, name: string): Brand {
  const known = KNOWN[bankId];
  if (known) return known;
  let hash = 0;
  for (const c of bankId) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return { colour: PALETTE[hash % PALETTE.length]!, mark: (name.trim()[0] ?? '?').toUpperCase() };
}
