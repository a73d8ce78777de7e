// Maps everything a request can go wrong with onto a problem document: our own Problem,
// schema validation, body parsing and size limits, unknown routes. A client mistake is
// always a 4xx with a specific type; only our own faults are 500, and those say nothing.
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, Problem } from './problem.ts';

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

function describeValidation(context: string | undefined, issues: ValidationIssue[]): string {
  const issue = issues[0];
  if (!issue) return 'the request does not match its schema';
  const where = `${context ?? 'request'}${issue.instancePath ?? ''}`;
  if (issue.keyword === 'additionalProperties') {
    return `${where} has an unknown field '${String(issue.params?.['additionalProperty'])}'`;
  }
  if (issue.keyword === 'enum' && Array.isArray(issue.params?.['allowedValues'])) {
    return `${where} must be one of: ${(issue.params['allowedValues'] as unknown[]).join(', ')}`;
  }
  return `${where} ${issue.message ?? 'is invalid'}`;
}

const FASTIFY_CODES: Record<string, [number, string, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'body-too-large', 'Request body too large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported-media-type', 'Unsupported media type'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'bad-content-length', 'Invalid Content-Length'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'empty-body', 'Empty JSON body'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'malformed-json', 'Malformed JSON'],
  FST_ERR_BAD_URL: [400, 'bad-url', 'Malformed URL'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'parameter-too-long', 'Path parameter too long'],
  FST_ERR_ASYNC_CONSTRAINT: [400, 'bad-request', 'Bad request'],
};

const HEADER_UNSAFE = /[^\t\u0020-\u007e\u0080-\u00ff]/g;

export function sendProblem(reply: FastifyReply, problem: Problem, request: FastifyRequest): FastifyReply {
  // A header can echo something of the request (a realm naming a bank id): characters a
  // header cannot carry are replaced, so a hostile path never turns a 401 into a 500.
  for (const [name, value] of Object.entries(problem.headers))
    reply.header(name, value.replace(HEADER_UNSAFE, '?'));
  return reply
    .code(problem.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(problem.toDocument(request.url.split('?')[0]));
}

export function toProblem(error: FastifyError | Error): Problem {
  if (error instanceof Problem) return error;
  const fe = error as FastifyError & { validationContext?: string; validation?: ValidationIssue[] };
  if (fe.validation) {
    return new Problem(
      400,
      'invalid-request',
      'Invalid request',
      describeValidation(fe.validationContext, fe.validation),
    );
  }
  const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) return new Problem(mapped[0], mapped[1], mapped[2], fe.message);
  if (error instanceof SyntaxError || fe.statusCode === 400) {
    return new Problem(400, 'malformed-request', 'Malformed request', fe.message);
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new Problem(fe.statusCode, 'client-error', 'Request refused', fe.message);
  }
  return new Problem(
    500,
    'internal',
    'Internal error',
    'The server failed to handle this request; it has been logged.',
  );
}

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = toProblem(error);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ problem: problem.slug }, 'request refused');
    return sendProblem(reply, problem, request);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      new Problem(
        404,
        'no-such-route',
        'No such route',
        `${request.method} ${request.url.split('?')[0]} is not a route of this API`,
      ),
      request,
    ),
  );
}

const CLIENT_ERRORS: Record<string, [number, string, string, string]> = {
  HPE_HEADER_OVERFLOW: [
    431,
    'headers-too-large',
    'Request headers too large',
    'the request headers are too large',
  ],
  ERR_HTTP_REQUEST_TIMEOUT: [
    408,
    'request-timeout',
    'Request timeout',
    'the request took too long to arrive',
  ],
};

/**
 * Fastify's clientErrorHandler: a request Node's HTTP parser refused never reached a route,
 * so the problem document is written to the socket by hand, and the connection closed.
 */
export function writeClientErrorProblem(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const [status, slug, title, detail] = CLIENT_ERRORS[error.code ?? ''] ?? [
    400,
    'malformed-http',
    'Malformed HTTP request',
    'the request is not valid HTTP',
  ];
  const body = JSON.stringify(new Problem(status, slug, title, detail).toDocument());
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
