/**
 * Live events between servers on one Postgres: NOTIFY on publish, LISTEN for the others'. Each
 * event carries the id of the server that sent it, so a server does not hear itself twice.
 */
import { randomUUID } from 'node:crypto'
import type { Database } from '../db/index.js'
import { channelName, listen, notify } from '../db/notify.js'
import type { LiveEvent } from './events.js'
import type { EventBus } from './hub.js'

/** Bigger events are cut to what the other servers need (a call's snapshot is dropped). */
const MAX_PAYLOAD = 7900

export async function postgresEventBus(
  db: Database,
  databaseUrl: string,
  schema: string | undefined,
  onError: (err: Error) => void = () => {},
): Promise<EventBus> {
  const me = randomUUID()
  const channel = channelName('callqa_live', schema)
  const listeners: Array<(event: LiveEvent) => void> = []
  const listener = await listen(
    databaseUrl,
    channel,
    (payload) => {
      try {
        const { from, event } = JSON.parse(payload) as { from: string; event: LiveEvent }
        if (from !== me) for (const l of listeners) l(event)
      } catch (err) {
        onError(err as Error)
      }
    },
    onError,
  )
  return {
    async publish(event) {
      let payload = JSON.stringify({ from: me, event })
      if (payload.length > MAX_PAYLOAD && 'call' in event) {
        const { call: _dropped, ...rest } = event
        payload = JSON.stringify({ from: me, event: rest })
      }
      if (payload.length > MAX_PAYLOAD) return
      await notify(db, channel, payload)
    },
    subscribe(listener) {
      listeners.push(listener)
    },
    close: () => listener.close(),
  }
}
