// The demo banks the one-command start seeds: two, so multi-bank is exercised from day one.
import { EU, type Region, UK } from './simulator/catalog.ts';

export interface DemoBank {
  id: string;
  name: string;
  region: Region;
}

export const DEMO_BANKS: readonly DemoBank[] = [
  { id: 'northwind', name: 'Northwind Bank', region: UK },
  { id: 'fjord', name: 'Fjordbank', region: EU },
];

export function regionFor(bankId: string): Region {
  return DEMO_BANKS.find((b) => b.id === bankId)?.region ?? UK;
}
