// HTTP face of the logs (c2sp.org/tlog-tiles) under /banks/:bankId/log: the checkpoint,
// hash tiles and entry bundles, plus JSON convenience endpoints for proofs.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { badRequest, bankParams, noQuery, notFound, Problem, problemResponses } from '../http/index.ts';
import { encodeBase64 } from './encoding.ts';
import { FormatError, NotFoundError, ProofError } from './errors.ts';
import type { TransparencyLog } from './log.ts';
import { parseTilePath } from './tiles.ts';

export interface TranslogRoutesOptions {
  /** The log of a bank, or undefined when the bank has none. */
  resolveLog(bankId: string): TransparencyLog | undefined | Promise<TransparencyLog | undefined>;
}

/** URL path prefix of a bank's log; the checkpoint origin is `<host><prefix>`. */
export const logPathPrefix = (bankId: string) => `/banks/${bankId}/log`;

const IMMUTABLE = 'public, max-age=31536000, immutable';
const size = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const hashList = { type: 'array', items: { type: 'string', contentEncoding: 'base64' } } as const;

function toProblem(error: unknown): unknown {
  if (error instanceof ProofError) return badRequest('invalid-proof-request', error.message);
  if (error instanceof NotFoundError) return notFound('log-range', error.message);
  return error;
}

export const translogRoutes: FastifyPluginAsync<TranslogRoutesOptions> = async (
  app: FastifyInstance,
  options,
) => {
  async function logOf(bankId: string): Promise<TransparencyLog> {
    const log = await options.resolveLog(bankId);
    if (!log) throw notFound('log', `bank ${bankId} has no transparency log`);
    return log;
  }

  app.get<{ Params: { bankId: string } }>(
    '/banks/:bankId/log/checkpoint',
    {
      schema: {
        tags: ['transparency log'],
        summary: 'Latest checkpoint (c2sp.org/tlog-checkpoint signed note, with witness cosignatures)',
        params: bankParams,
        querystring: noQuery,
        response: {
          200: {
            description: 'Signed note',
            content: { 'text/plain; charset=utf-8': { schema: { type: 'string' } } },
          },
          ...problemResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      const checkpoint = await (await logOf(request.params.bankId)).checkpoint();
      if (!checkpoint) throw notFound('checkpoint', 'the log has not published a checkpoint yet');
      return reply
        .type('text/plain; charset=utf-8')
        .header('cache-control', 'public, max-age=1')
        .send(checkpoint.note);
    },
  );

  app.get<{ Params: { bankId: string; '*': string } }>(
    '/banks/:bankId/log/tile/*',
    {
      schema: {
        tags: ['transparency log'],
        summary: 'Hash tile or entry bundle (c2sp.org/tlog-tiles), immutable',
        querystring: noQuery,
        params: {
          ...bankParams,
          required: ['bankId', '*'],
          properties: { ...bankParams.properties, '*': { type: 'string', maxLength: 64 } },
        },
        response: {
          200: {
            description: 'Tile bytes',
            content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
          },
          ...problemResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      const path = `tile/${request.params['*']}`;
      try {
        parseTilePath(path);
      } catch (error) {
        if (error instanceof FormatError) throw badRequest('invalid-tile-path', `${path}: ${error.message}`);
        throw error;
      }
      const tile = await (await logOf(request.params.bankId)).readTile(path);
      if (!tile) throw notFound('tile', `${path} does not exist (yet)`);
      return reply
        .type('application/octet-stream')
        .header('cache-control', IMMUTABLE)
        .send(Buffer.from(tile.buffer, tile.byteOffset, tile.byteLength));
    },
  );

  app.get<{ Params: { bankId: string }; Querystring: { index: number; size: number } }>(
    '/banks/:bankId/log/proof/inclusion',
    {
      schema: {
        tags: ['transparency log'],
        summary: 'RFC 9162 inclusion proof of entry `index` in the tree of `size` entries',
        params: bankParams,
        querystring: {
          type: 'object',
          required: ['index', 'size'],
          additionalProperties: false,
          properties: { index: size, size },
        },
        response: {
          200: {
            type: 'object',
            required: ['index', 'size', 'proof'],
            additionalProperties: false,
            properties: { index: size, size, proof: hashList },
          },
          ...problemResponses(400, 404),
        },
      },
    },
    async (request) => {
      const { index, size: treeSize } = request.query;
      const log = await logOf(request.params.bankId);
      try {
        const proof = await log.inclusionProof(index, treeSize);
        return { index, size: treeSize, proof: proof.map(encodeBase64) };
      } catch (error) {
        throw toProblem(error);
      }
    },
  );

  app.get<{ Params: { bankId: string }; Querystring: { from: number; to: number } }>(
    '/banks/:bankId/log/proof/consistency',
    {
      schema: {
        tags: ['transparency log'],
        summary: 'RFC 9162 consistency proof between tree sizes `from` and `to`',
        params: bankParams,
        querystring: {
          type: 'object',
          required: ['from', 'to'],
          additionalProperties: false,
          properties: { from: size, to: size },
        },
        response: {
          200: {
            type: 'object',
            required: ['from', 'to', 'proof'],
            additionalProperties: false,
            properties: { from: size, to: size, proof: hashList },
          },
          ...problemResponses(400, 404),
        },
      },
    },
    async (request) => {
      const { from, to } = request.query;
      const log = await logOf(request.params.bankId);
      try {
        const proof = await log.consistencyProof(from, to);
        return { from, to, proof: proof.map(encodeBase64) };
      } catch (error) {
        throw toProblem(error);
      }
    },
  );
};

export { Problem };
