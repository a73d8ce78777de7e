// RFC 9457 problem details. Every error a client can cause has its own `type`, so a
// client can branch on it without parsing prose.
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_PREFIX = 'urn:proviso:problem:';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  [extension: string]: unknown;
}

/** Throw from a handler; the error handler turns it into a problem document. */
export class Problem extends Error {
  override name = 'Problem';
  readonly status: number;
  readonly slug: string;
  readonly title: string;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;
  constructor(
    status: number,
    slug: string,
    title: string,
    detail: string,
    options: { extensions?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(detail, { cause: options.cause });
    this.status = status;
    this.slug = slug;
    this.title = title;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }
  toDocument(instance?: string): ProblemDocument {
    return {
      ...this.extensions,
      type: problemType(this.slug),
      title: this.title,
      status: this.status,
      detail: this.message,
      ...(instance ? { instance } : {}),
    };
  }
}

export function problemType(slug: string): string {
  return TYPE_PREFIX + slug;
}

export const notFound = (what: string, detail: string) =>
  new Problem(404, `${what}-not-found`, `${cap(what)} not found`, detail);
export const badRequest = (slug: string, detail: string) => new Problem(400, slug, 'Invalid request', detail);
export const unauthorized = (slug: string, detail: string, challenge = 'Bearer') =>
  new Problem(401, slug, 'Not authenticated', detail, { headers: { 'www-authenticate': challenge } });
export const forbidden = (slug: string, detail: string, extensions?: Record<string, unknown>) =>
  new Problem(403, slug, 'Not allowed', detail, extensions ? { extensions } : {});

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1).replaceAll('-', ' ');
}

/** JSON schema of a problem document, for route response schemas and the OpenAPI file. */
export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', format: 'uri-reference' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    instance: { type: 'string' },
  },
  additionalProperties: true,
} as const;
