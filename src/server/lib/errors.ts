/**
 * Domain errors: services throw these, the HTTP error handler maps them to RFC 9457 problems.
 * `code` is a stable snake_case identifier clients can rely on.
 */
export interface FieldError {
  path: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly errors?: FieldError[],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFound extends DomainError {
  constructor(entity: string, ref: string) {
    super(404, 'not_found', 'Not found', `${entity} '${ref}' does not exist.`, { entity });
  }
}

export class Invalid extends DomainError {
  constructor(code: string, message: string, errors?: FieldError[], status = 422) {
    super(status, code, 'Invalid request', message, {}, errors);
  }
}

export class Conflict extends DomainError {
  constructor(code: string, message: string, extra: Record<string, unknown> = {}) {
    super(409, code, 'Conflict', message, extra);
  }
}

export class Unauthenticated extends DomainError {
  constructor(message = 'Authentication is required: sign in or send a Bearer token.', code = 'unauthenticated') {
    super(401, code, 'Unauthenticated', message);
  }
}

export class Forbidden extends DomainError {
  constructor(message: string, code = 'forbidden', extra: Record<string, unknown> = {}) {
    super(403, code, 'Forbidden', message, extra);
  }
}

export class PreconditionFailed extends DomainError {
  constructor(message: string) {
    super(412, 'precondition_failed', 'Precondition failed', message);
  }
}
