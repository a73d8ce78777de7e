// Shared response fragments so each route lists the problems it can answer with.
export function problemResponses(
  ...statuses: number[]
): Record<number, { $ref: string; description: string }> {
  const out: Record<number, { $ref: string; description: string }> = {};
  for (const s of statuses) out[s] = { $ref: 'Problem#', description: 'Problem details (RFC 9457)' };
  return out;
}

/** Querystring schema for routes that take no query parameters: any parameter is an error. */
export const noQuery = { type: 'object', properties: {}, additionalProperties: false } as const;
