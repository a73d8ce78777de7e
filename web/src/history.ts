// What this device remembers (localStorage, this device only): the conversation, with bank
// envelopes still sealed (reopened on load), and the answers given to alerts.
const HISTORY_KEY = 'proviso.history';
const ANSWERS_KEY = 'proviso.alert-answers';
const HISTORY_MAX = 300;

export interface HistoryItem {
  id: string;
  /** The bank whose conversation it belongs to ('' before any bank is linked). */
  bank: string;
  kind: 'envelope' | 'text' | 'notice' | 'me' | 'system' | 'spending';
  envelope?: string;
  text?: string;
  at: number;
}

export function loadHistory(): HistoryItem[] {
  try {
    return JSON.parse(localStorage.getItem(HISTORY_KEY) ?? '[]') as HistoryItem[];
  } catch {
    return [];
  }
}

export function remember(item: HistoryItem): void {
  const all = loadHistory();
  all.push(item);
  localStorage.setItem(HISTORY_KEY, JSON.stringify(all.slice(-HISTORY_MAX)));
}

function answers(): Record<string, 'yes' | 'no'> {
  try {
    return JSON.parse(localStorage.getItem(ANSWERS_KEY) ?? '{}') as Record<string, 'yes' | 'no'>;
  } catch {
    return {};
  }
}

export function alertAnswer(alertId: string): 'yes' | 'no' | undefined {
  return answers()[alertId];
}

export function recordAlertAnswer(alertId: string, answer: 'yes' | 'no'): void {
  localStorage.setItem(ANSWERS_KEY, JSON.stringify({ ...answers(), [alertId]: answer }));
}
