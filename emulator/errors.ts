/** A Platform API error answer: `{"id", "message"[, "url"][, "resource"]}` with its HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly id: string,
    message: string,
    readonly extra: { url?: string; resource?: string } = {}
  ) {
    super(message)
  }

  body(): Record<string, string> {
    return { id: this.id, message: this.message, ...this.extra }
  }
}

const RATE_LIMIT_DOC = 'https://devcenter.heroku.com/articles/platform-api-reference#rate-limits'

// Ids and messages from the Dev Center error table (reference §1.3); used for injected faults too.
const BY_STATUS: Record<number, [string, string]> = {
  400: ['bad_request', 'Request invalid, validate usage and try again.'],
  401: ['unauthorized', 'Invalid credentials provided.'],
  402: ['delinquent', 'This account is delinquent.'],
  403: ['forbidden', 'You do not have access to this resource.'],
  404: ['not_found', 'The requested resource was not found.'],
  406: ['not_acceptable', "Please specify a version along with Heroku's API MIME type. For example, `Accept: application/vnd.heroku+json; version=3`."],
  409: ['conflict', 'The request could not be completed due to a conflict.'],
  410: ['gone', 'This resource is no longer available.'],
  416: ['requested_range_not_satisfiable', 'The Range header is invalid.'],
  422: ['invalid_params', 'Invalid params.'],
  429: ['rate_limit', 'Your account reached the API rate limit'],
  500: ['internal_server_error', 'Internal server error.'],
  503: ['service_unavailable', 'This service is temporarily unavailable. Please try again later.']
}

/** Heroku's error for a status, as a fault or a standard refusal would answer it. */
export function errorForStatus(status: number, message?: string, extra: { resource?: string } = {}): ApiError {
  const [id, text] = BY_STATUS[status] ?? (status >= 500 ? BY_STATUS[500] : BY_STATUS[400])
  return new ApiError(status, id, message ?? text, status === 429 ? { url: RATE_LIMIT_DOC, ...extra } : extra)
}

export const notFound = (resource: string): ApiError => errorForStatus(404, `Couldn't find that ${resource}.`, { resource })

export const invalidParams = (message: string): ApiError => errorForStatus(422, message)

export const conflict = (message: string): ApiError => errorForStatus(409, message)
