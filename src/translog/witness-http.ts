// HTTP face of a witness: POST <prefix>/add-checkpoint per c2sp.org/tlog-witness. Success is
// signature lines, a size conflict is `text/x.tlog.size`; every other refusal is a problem document.
import type { FastifyPluginAsync } from 'fastify';
import { Problem, problemResponses } from '../http/index.ts';
import type { Witness } from './witness.ts';

export interface WitnessRoutesOptions {
  readonly witness: Witness;
}

const SLUGS: Record<number, [string, string]> = {
  400: ['witness-malformed-request', 'Malformed add-checkpoint request'],
  403: ['witness-untrusted-signature', 'Checkpoint not signed by a trusted log key'],
  404: ['witness-unknown-log', 'Unknown log'],
  422: ['witness-inconsistent-checkpoint', 'Checkpoint is not consistent with the witnessed tree'],
};

export const witnessRoutes: FastifyPluginAsync<WitnessRoutesOptions> = async (app, options) => {
  // The protocol body is plain text; accept it whatever content type the log sends.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 256 * 1024 }, (_req, body, done) =>
    done(null, body),
  );

  app.post<{ Body: string }>(
    '/add-checkpoint',
    {
      schema: {
        tags: ['witness'],
        summary: 'Submit a checkpoint with a consistency proof for cosigning (c2sp.org/tlog-witness)',
        body: { type: 'string', maxLength: 256 * 1024 },
        response: {
          200: {
            description: 'Cosignature lines',
            content: { 'text/plain; charset=utf-8': { schema: { type: 'string' } } },
          },
          409: {
            description: 'Size the witness holds',
            content: { 'text/x.tlog.size': { schema: { type: 'string' } } },
          },
          ...problemResponses(400, 403, 404, 422),
        },
      },
    },
    async (request, reply) => {
      const result = await options.witness.addCheckpoint(
        typeof request.body === 'string' ? request.body : '',
      );
      if (result.status === 200) return reply.type('text/plain; charset=utf-8').send(result.signatures);
      if (result.status === 409) return reply.code(409).type('text/x.tlog.size').send(`${result.size}\n`);
      const [slug, title] = SLUGS[result.status]!;
      throw new Problem(result.status, slug, title, result.reason);
    },
  );
};
