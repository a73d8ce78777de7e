// `npm run bench:report`: draws bench/results/*.json into bench/results/report.html without
// running any benchmark.
import { fileURLToPath } from 'node:url';
import { writeReport } from './report/index.ts';

process.stdout.write(`Report written to ${fileURLToPath(writeReport())}\n`);
