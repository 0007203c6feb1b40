/** Schemas every route shares. */
import { Type } from 'typebox'

/** The one error format: `{error: {code, message, details}}`. */
export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }),
})
