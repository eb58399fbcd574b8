import type { Logger } from '../../ports/logger.ts';
import type { HocuspocusRealtime } from './hocuspocus-realtime.ts';
import { closeCodes } from './realtime-limits.ts';

/** The part of a `ws` WebSocket the bridge uses. */
export interface NodeWebSocketLike {
  readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  on(event: 'message', listener: (data: Uint8Array | ArrayBuffer | Uint8Array[]) => void): unknown;
  on(event: 'close', listener: (code: number, reason: Uint8Array) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * Connects a Node WebSocket to Hocuspocus: forwards its messages and its close. A message
 * Hocuspocus cannot handle closes that socket (1007), never the server. `ws` enforces the message
 * limit before a frame is buffered (the server mounts it with `maxPayload`); the check here only
 * keeps the limit true for a socket accepted some other way.
 */
export function bridgeNodeSocket(
  realtime: HocuspocusRealtime,
  socket: NodeWebSocketLike,
  request: Request,
  logger: Logger,
): void {
  const client = realtime.handleConnection(socket, request);
  const { messageBytes } = realtime.limits;
  socket.on('message', (data) => {
    try {
      const bytes = Array.isArray(data)
        ? concat(data)
        : data instanceof ArrayBuffer
          ? new Uint8Array(data)
          : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      if (bytes.byteLength > messageBytes) {
        logger.info(
          { bytes: bytes.byteLength, limit: messageBytes },
          'closing a realtime connection that sent a message over the limit',
        );
        socket.close(closeCodes.messageTooBig, 'message too big');
        return;
      }
      client.handleMessage(bytes);
    } catch (error) {
      logger.info({ err: error }, 'closing a realtime connection that sent a malformed message');
      socket.close(1007, 'malformed message');
    }
  });
  socket.on('close', (code, reason) => client.handleClose({ code, reason: new TextDecoder().decode(reason) }));
  socket.on('error', (error) => logger.info({ err: error }, 'realtime socket error'));
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
