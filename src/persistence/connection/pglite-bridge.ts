import { EventEmitter } from 'node:events'
import type pg from 'pg'
import type { BackendMessage } from 'pg-protocol/dist/messages.js'
import { Parser } from 'pg-protocol/dist/parser.js'
import { serialize } from 'pg-protocol/dist/serializer.js'

/**
 * Stands in for `@electric-sql/pglite/node-postgres`'s `createPgConfig`. That bridge parses
 * PGlite's replies with PGlite's own copy of pg-protocol, and that copy decodes text with a
 * `TextDecoder`, which drops a leading U+FEFF: `select E'\uFEFFbom'` comes back as `bom` (a real
 * server returns `\uFEFFbom`), so strings would not round-trip exactly. This bridge parses the
 * raw reply bytes with pg's own `pg-protocol` parser (Buffer decoding, no BOM stripping), so the
 * pg client sees exactly what it would see from a socket. Everything else copies the original:
 * one connection object shared by the pool's clients, protocol calls run one after another in
 * call order, and each reply's messages are emitted after PGlite has finished (and synced) it.
 *
 * It uses `execProtocolRawStream`, not `execProtocolRaw`: the latter still runs PGlite's parser on
 * every reply, copies it into a growing buffer, and keeps every parsed message until the next
 * `execProtocol`/`execProtocolStream` call (47 MB after 20 queries of 10k rows); the stream variant
 * only hands the bytes over, and is the fastest of the three. A side effect: PGlite's own
 * `listen()`/`onNotification()` callbacks do not see NOTIFYs arriving on this session (pg's
 * `notification` event does).
 */

/** The part of PGlite the bridge uses (a `PGlite` instance fits). */
export interface PgliteProtocolTarget {
  readonly waitReady: Promise<void>
  execProtocolRawStream(
    message: Uint8Array,
    options: { onRawData: (data: Uint8Array) => void },
  ): Promise<void>
}

/** Options for `new pg.Pool(…)`; `connection` is the pg `Connection` every client uses. */
export interface PgliteClientConfig extends pg.PoolConfig {
  readonly poolSize: 1
  /** Implements what pg.Client calls on its connection; @types/pg does not declare the option. */
  readonly connection: EventEmitter
}

/** The client configuration that runs pg clients on `pglite`: spread it into `new pg.Pool`. */
export function createPgliteConfig(pglite: PgliteProtocolTarget): PgliteClientConfig {
  return {
    poolSize: 1,
    user: 'postgres',
    password: 'dummy',
    database: 'postgres',
    host: 'localhost',
    port: 5432,
    connection: new PgliteConnection(pglite),
  }
}

type ParseOptions = Parameters<typeof serialize.parse>[0]
type BindOptions = Parameters<typeof serialize.bind>[0]
type ExecuteOptions = Parameters<typeof serialize.execute>[0]
type PortalOptions = Parameters<typeof serialize.describe>[0]

/** pg's `Connection`, with PGlite in place of the socket (method names are pg's). */
class PgliteConnection extends EventEmitter {
  readonly #pglite: PgliteProtocolTarget
  #parser = new Parser()
  #messageListener = false
  /** Every protocol call waits for the previous one: PGlite is a single session. */
  #queue: Promise<void>
  _connecting = false
  readonly stream = { destroy: (): void => this.end() }
  readonly parsedStatements: Record<string, string> = {}
  readonly submittedNamedStatements: Record<string, string> = {}

  constructor(pglite: PgliteProtocolTarget) {
    super()
    this.#pglite = pglite
    this.#queue = pglite.waitReady
    this.on('newListener', (event) => {
      if (event === 'message') this.#messageListener = true
    })
  }

  connect(_port?: unknown, _host?: unknown): void {
    this._connecting = true
    this.#pglite.waitReady.then(
      () => process.nextTick(() => this.emit('readyForQuery')),
      (error: unknown) => this.emit('error', error),
    )
  }

  // No startup, TLS, authentication or cancel requests: PGlite's session is already open.
  requestSsl(): void {}
  startup(_config: Record<string, string>): void {}
  cancel(_processId: number, _secretKey: number): void {}
  password(_password: string): void {}
  sendSASLInitialResponseMessage(mechanism: string, initialResponse: string): void {
    this.#send(serialize.sendSASLInitialResponseMessage(mechanism, initialResponse))
  }
  sendSCRAMClientFinalMessage(additionalData: string): void {
    this.#send(serialize.sendSCRAMClientFinalMessage(additionalData))
  }
  query(text: string): void {
    this.#send(serialize.query(text))
  }
  parse(query: ParseOptions): void {
    this.#send(serialize.parse(query))
  }
  bind(config: BindOptions): void {
    this.#send(serialize.bind(config))
  }
  execute(config: ExecuteOptions): void {
    this.#send(serialize.execute(config))
  }
  flush(): void {
    this.#send(serialize.flush())
  }
  sync(): void {
    this.#send(serialize.sync())
  }
  close(msg: PortalOptions): void {
    this.#send(serialize.close(msg))
  }
  describe(msg: PortalOptions): void {
    this.#send(serialize.describe(msg))
  }
  sendCopyFromChunk(chunk: Buffer): void {
    this.#send(serialize.copyData(chunk))
  }
  endCopyFrom(): void {
    this.#send(serialize.copyDone())
  }
  sendCopyFail(message: string): void {
    this.#send(serialize.copyFail(message))
  }
  ref(): void {}
  unref(): void {}

  end(): void {
    this.#queue = this.#queue.then(() => {
      this.emit('end')
    })
    for (const event of this.eventNames()) {
      if (event !== 'newListener') this.removeAllListeners(event)
    }
    this.#messageListener = false
  }

  #send(message: Uint8Array): void {
    this.#queue = this.#queue
      .then(() => this.#exec(message))
      .then((messages) => {
        for (const msg of messages) {
          if (this.#messageListener) this.emit('message', msg)
          this.emit(msg.name === 'error' ? 'errorMessage' : msg.name, msg)
        }
      })
      .catch((error: unknown) => {
        this.#parser = new Parser()
        this.emit('error', error)
      })
  }

  async #exec(message: Uint8Array): Promise<BackendMessage[]> {
    // The chunks are views of PGlite's wasm memory, valid only during the callback: copy them.
    const chunks: Buffer[] = []
    await this.#pglite.execProtocolRawStream(message, {
      onRawData: (data) => {
        chunks.push(Buffer.from(data))
      },
    })
    const messages: BackendMessage[] = []
    for (const chunk of chunks) this.#parser.parse(chunk, (msg) => messages.push(msg))
    return messages
  }
}
