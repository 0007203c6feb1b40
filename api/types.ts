/**
 * The server's type as routes see it (fastify with TypeBox). Its own module, so that route files
 * depend on this and not on server.ts, which registers them: no import circle.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import type { Database } from '../db/index.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The database every route group reads and writes (api/server.ts decorates it; `callqa serve`
     * has the server close it on shutdown, after everything that still writes to it).
     */
    db: Database
  }
}

export type Api = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  import('fastify').FastifyBaseLogger,
  TypeBoxTypeProvider
>
