/** Schemas every route shares. */
import { Type } from 'typebox'

/** The one error format: `{error: {code, message, details}}`. */
export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }),
})

/** The errors most routes answer with (400 validation, 401 sign-in, 403 role, 404 not found). */
export const ERRORS = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody }
/** The same, and 409 for a conflict with the current state. */
export const ERRORS_AND_CONFLICT = { ...ERRORS, 409: ErrorBody }

/** A resource's id in the path. */
export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) })
