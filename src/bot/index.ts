export {
  accountName,
  type BotCard,
  balanceCard,
  type CardType,
  cardStatusCard,
  cardType,
  HELP_TEXT,
  MAIN_MENU,
  noticeCard,
  type QuickReply,
  type Released as ReleasedRecord,
  spendingDataCard,
  transactionCard,
  transactionLine,
  transactionsCard,
} from './cards.ts';
export { type DeviceMessage, deviceMessage } from './device.ts';
export { INTENT_NEEDS, type Intent, intentFromPayload, intentFromText } from './intents.ts';
