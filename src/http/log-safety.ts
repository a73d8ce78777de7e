// What an error may say in a log line. A database error's message, detail and context quote
// the values of the row it refused (a merchant, a terminal, a card), so it is reduced to its
// class, SQLSTATE and the schema object it names; other errors keep their message. Used by
// every app's logger (the `err` serializer) and by workers that report errors themselves.

/** A SQLSTATE-coded error from pg or PGlite. */
function isDatabaseError(error: object): boolean {
  const code = (error as { code?: unknown }).code;
  return (
    'severity' in error ||
    'routine' in error ||
    (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('FST'))
  );
}

export interface SafeErrorFields {
  type: string;
  message: string;
  code?: string;
  table?: string;
  column?: string;
  constraint?: string;
  routine?: string;
  stack?: string;
}

/** The fields of an error fit for a log line. */
export function safeErrorFields(error: unknown): SafeErrorFields {
  if (!(error instanceof Error)) return { type: typeof error, message: 'a non-Error value was thrown' };
  const code = (error as { code?: unknown }).code;
  const fields: SafeErrorFields = {
    type: error.constructor?.name ?? error.name,
    message: error.message,
    ...(typeof code === 'string' ? { code } : {}),
  };
  // The stack's frames without its first line (which repeats the message).
  const frames = error.stack?.split('\n').slice(1).join('\n');
  if (!isDatabaseError(error)) return frames ? { ...fields, stack: frames } : fields;
  fields.message = `database error${typeof code === 'string' ? ` ${code}` : ''} (message withheld: it may quote row values)`;
  for (const key of ['table', 'column', 'constraint', 'routine'] as const) {
    const value = (error as unknown as Record<string, unknown>)[key];
    if (typeof value === 'string') fields[key] = value;
  }
  return frames ? { ...fields, stack: frames } : fields;
}

/** An Error safe to hand to a logger or a callback: a database error loses its message. */
export function safeError(error: unknown): Error {
  const fields = safeErrorFields(error);
  if (error instanceof Error && fields.message === error.message) return error;
  const safe = new Error(fields.message);
  safe.name = fields.type;
  if (fields.code !== undefined) (safe as Error & { code?: string }).code = fields.code;
  safe.stack = `${fields.type}: ${fields.message}\n${fields.stack ?? ''}`;
  return safe;
}
