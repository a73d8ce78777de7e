export {
  loadWitnessKey,
  type RunningWitness,
  startWitness,
  WITNESS_PREFIX,
  type WitnessConfig,
  witnessedLogs,
} from './runtime.ts';
