// The ceiling: a bare Fastify route that returns a constant. Nothing a real route does
// can be faster on this machine.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
const body = { Data: { Account: [{ AccountId: 'acc_0', Currency: 'GBP' }] } };
app.get('/constant', async () => body);
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ url: `${url}/constant` })}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
