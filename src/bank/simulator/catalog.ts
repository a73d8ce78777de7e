// Merchants, categories and names that make the demo banks look like real statements.
import type { Channel } from '../model.ts';

export interface Merchant {
  name: string;
  mcc: string;
  category: string;
  /** Typical ticket (median, in the bank's currency) and spread. */
  median: number;
  sigma: number;
  online?: boolean;
}

export interface Region {
  currency: string;
  country: string;
  scheme: 'UK.OBIE.SortCodeAccountNumber' | 'UK.OBIE.IBAN';
  employers: string[];
  landlords: string[];
  utilities: Merchant[];
  groceries: Merchant[];
  coffee: Merchant[];
  lunch: Merchant[];
  dining: Merchant[];
  transport: Merchant[];
  online: Merchant[];
  fuel: Merchant[];
  subscriptions: Merchant[];
  health: Merchant[];
}

const m = (
  name: string,
  mcc: string,
  category: string,
  median: number,
  sigma: number,
  online = false,
): Merchant => ({
  name,
  mcc,
  category,
  median,
  sigma,
  ...(online ? { online } : {}),
});

export const UK: Region = {
  currency: 'GBP',
  country: 'GB',
  scheme: 'UK.OBIE.SortCodeAccountNumber',
  employers: [
    'ACME LOGISTICS LTD',
    'NHS BUSINESS SERVICES',
    'BRIGHTWAVE SOFTWARE LTD',
    'CITY COUNCIL PAYROLL',
    'HARBOUR RETAIL PLC',
  ],
  landlords: ['RENT - GREENFIELD LETTINGS', 'MORTGAGE - NATIONWIDE', 'RENT - FOXTONS'],
  utilities: [
    m('OCTOPUS ENERGY', '4900', 'utilities', 95, 0.25),
    m('THAMES WATER', '4900', 'utilities', 38, 0.15),
  ],
  groceries: [
    m('TESCO STORES', '5411', 'groceries', 32, 0.6),
    m("SAINSBURY'S", '5411', 'groceries', 36, 0.6),
    m('LIDL GB', '5411', 'groceries', 24, 0.5),
    m('ALDI STORES', '5411', 'groceries', 26, 0.5),
    m('WAITROSE', '5411', 'groceries', 41, 0.6),
    m('M&S SIMPLY FOOD', '5411', 'groceries', 18, 0.5),
  ],
  coffee: [
    m('PRET A MANGER', '5814', 'eating_out', 4.2, 0.3),
    m('COSTA COFFEE', '5814', 'eating_out', 3.9, 0.3),
    m("GAIL'S BAKERY", '5814', 'eating_out', 5.5, 0.3),
  ],
  lunch: [
    m('LEON', '5814', 'eating_out', 9.5, 0.3),
    m('WASABI', '5814', 'eating_out', 8.8, 0.25),
    m('GREGGS', '5814', 'eating_out', 4.5, 0.3),
  ],
  dining: [
    m('DISHOOM', '5812', 'eating_out', 48, 0.5),
    m('WAGAMAMA', '5812', 'eating_out', 34, 0.45),
    m('THE RED LION', '5813', 'eating_out', 22, 0.6),
    m('DELIVEROO', '5812', 'eating_out', 27, 0.4, true),
  ],
  transport: [
    m('TFL TRAVEL CHARGE', '4111', 'transport', 6.8, 0.35),
    m('UBER TRIP', '4121', 'transport', 14, 0.5, true),
    m('TRAINLINE', '4112', 'transport', 42, 0.6, true),
  ],
  online: [
    m('AMAZON.CO.UK', '5942', 'shopping', 24, 0.8, true),
    m('ASOS.COM', '5651', 'shopping', 45, 0.6, true),
    m('ARGOS', '5311', 'shopping', 38, 0.8, true),
    m('JOHN LEWIS', '5311', 'shopping', 65, 0.8),
    m('BOOTS', '5912', 'health', 14, 0.6),
    m('IKEA', '5712', 'home', 85, 0.8),
  ],
  fuel: [m('SHELL', '5541', 'transport', 58, 0.3), m('BP', '5541', 'transport', 55, 0.3)],
  subscriptions: [
    m('NETFLIX.COM', '4899', 'subscriptions', 10.99, 0.01, true),
    m('SPOTIFY', '4899', 'subscriptions', 11.99, 0.01, true),
    m('PUREGYM', '7997', 'health', 24.99, 0.01, true),
  ],
  health: [m('BOOTS PHARMACY', '5912', 'health', 12, 0.5)],
};

export const EU: Region = {
  currency: 'EUR',
  country: 'DE',
  scheme: 'UK.OBIE.IBAN',
  employers: [
    'NORDSTERN GMBH',
    'STADTWERKE BERLIN',
    'KLAR SOFTWARE AG',
    'HANSE LOGISTIK GMBH',
    'UNIVERSITAETSKLINIKUM',
  ],
  landlords: ['MIETE - DEUTSCHE WOHNEN', 'MIETE - VONOVIA', 'MIETE - PRIVATVERMIETER'],
  utilities: [
    m('VATTENFALL', '4900', 'utilities', 88, 0.25),
    m('BERLINER WASSERBETRIEBE', '4900', 'utilities', 32, 0.15),
  ],
  groceries: [
    m('REWE', '5411', 'groceries', 29, 0.6),
    m('EDEKA', '5411', 'groceries', 31, 0.6),
    m('LIDL', '5411', 'groceries', 22, 0.5),
    m('ALDI SUED', '5411', 'groceries', 23, 0.5),
    m('DM DROGERIE MARKT', '5912', 'health', 16, 0.5),
  ],
  coffee: [
    m('EINSTEIN KAFFEE', '5814', 'eating_out', 3.8, 0.3),
    m('BACKWERK', '5814', 'eating_out', 3.2, 0.3),
  ],
  lunch: [m('VAPIANO', '5812', 'eating_out', 12, 0.3), m('DEAN & DAVID', '5814', 'eating_out', 10.5, 0.25)],
  dining: [
    m('LA DOLCE VITA', '5812', 'eating_out', 42, 0.5),
    m('BIERGARTEN AM SEE', '5813', 'eating_out', 24, 0.6),
    m('LIEFERANDO', '5812', 'eating_out', 26, 0.4, true),
  ],
  transport: [
    m('BVG TICKET', '4111', 'transport', 3.5, 0.3),
    m('DB FERNVERKEHR', '4112', 'transport', 49, 0.6, true),
    m('FREE NOW', '4121', 'transport', 16, 0.5, true),
  ],
  online: [
    m('AMAZON.DE', '5942', 'shopping', 27, 0.8, true),
    m('ZALANDO', '5651', 'shopping', 55, 0.6, true),
    m('MEDIAMARKT', '5732', 'shopping', 89, 0.9),
    m('IKEA', '5712', 'home', 79, 0.8),
    m('OTTO.DE', '5311', 'shopping', 48, 0.7, true),
  ],
  fuel: [m('ARAL', '5541', 'transport', 61, 0.3), m('SHELL DEUTSCHLAND', '5541', 'transport', 58, 0.3)],
  subscriptions: [
    m('NETFLIX.COM', '4899', 'subscriptions', 12.99, 0.01, true),
    m('SPOTIFY', '4899', 'subscriptions', 10.99, 0.01, true),
    m('MCFIT', '7997', 'health', 24.9, 0.01, true),
  ],
  health: [m('APOTHEKE AM MARKT', '5912', 'health', 14, 0.5)],
};

/** Places a card may be used abroad, with a merchant each. */
export const ABROAD: ReadonlyArray<{ country: string; merchant: Merchant }> = [
  { country: 'ES', merchant: m('MERCADONA BARCELONA', '5411', 'groceries', 28, 0.5) },
  { country: 'FR', merchant: m('CARREFOUR CITY PARIS', '5411', 'groceries', 25, 0.5) },
  { country: 'IT', merchant: m('TRATTORIA DA LUIGI ROMA', '5812', 'eating_out', 46, 0.4) },
  { country: 'NL', merchant: m('ALBERT HEIJN AMSTERDAM', '5411', 'groceries', 21, 0.5) },
  { country: 'US', merchant: m('WHOLE FOODS NYC', '5411', 'groceries', 52, 0.5) },
];

export const FIRST_NAMES = [
  'Olivia',
  'Amelia',
  'Isla',
  'Ava',
  'Mia',
  'Sophia',
  'Grace',
  'Lily',
  'Freya',
  'Emily',
  'Noah',
  'Oliver',
  'George',
  'Arthur',
  'Leo',
  'Muhammad',
  'Harry',
  'Jack',
  'Oscar',
  'Charlie',
  'Lena',
  'Hannah',
  'Emma',
  'Lukas',
  'Finn',
  'Elias',
  'Jonas',
  'Paul',
  'Marie',
  'Sofia',
  'Aisha',
  'Priya',
  'Chen',
  'Mateo',
  'Zara',
  'Yusuf',
];
export const LAST_NAMES = [
  'Smith',
  'Jones',
  'Taylor',
  'Brown',
  'Williams',
  'Wilson',
  'Johnson',
  'Davies',
  'Patel',
  'Robinson',
  'Wright',
  'Thompson',
  'Evans',
  'Walker',
  'Müller',
  'Schmidt',
  'Schneider',
  'Fischer',
  'Weber',
  'Meyer',
  'Wagner',
  'Becker',
  'Khan',
  'Ali',
  'Nguyen',
  'Okafor',
  'Kowalski',
  'Rossi',
  'Garcia',
  'Novak',
];

export function cardChannel(merchant: Merchant, amount: number, contactless: boolean): Channel {
  if (merchant.online) return 'card_online';
  return contactless && amount <= 100 ? 'contactless' : 'card_present';
}
