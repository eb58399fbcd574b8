/**
 * A browser-side dashboard client for benchmarks that counts its WebSocket traffic: @hocuspocus/provider
 * over a `ws` socket whose frames in each direction are tallied, as a browser's devtools would show
 * them. Cloudflare bills the frames a client sends to a Durable Object (as a fraction of a request
 * each) but not protocol pings, so data frames and control frames are counted apart.
 */
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import WebSocket from 'ws';
import * as Y from 'yjs';

/** Running totals over every socket of the clients that share it. */
export interface FrameCounts {
  /** Data frames the server sent (the socket's 'message' events). */
  received: number;
  /** Data frames the client sent (`send()` calls). */
  sent: number;
  /** Protocol pings and pongs the client received (free on Cloudflare, counted to be sure). */
  control: number;
  /** Sockets that opened: one per client, more if a provider had to reconnect. */
  opened: number;
}

/** Fresh zero counts. */
export const noFrames = (): FrameCounts => ({ received: 0, sent: 0, control: 0, opened: 0 });

/** `later − earlier`, field by field. */
export const framesBetween = (earlier: FrameCounts, later: FrameCounts): FrameCounts => ({
  received: later.received - earlier.received,
  sent: later.sent - earlier.sent,
  control: later.control - earlier.control,
  opened: later.opened - earlier.opened,
});

/** One provider on one socket of its own. */
export interface CountingClient {
  /** True once the document is synced. */
  synced(): boolean;
  destroy(): void;
}

/**
 * Connects to `<baseUrl>/v1/realtime?dashboard=<id>` (the URL both runtimes serve: the Worker needs
 * the query to pick the dashboard's object, Node ignores it), adding its frames to `counts`.
 */
export function connectCounting(
  baseUrl: string,
  dashboardId: string,
  token: string,
  counts: FrameCounts,
): CountingClient {
  // The provider opens sockets with `new WebSocketPolyfill(url)`: this class is that socket.
  class CountingWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      this.on('open', () => void counts.opened++);
      this.on('message', () => void counts.received++);
      this.on('ping', () => void counts.control++);
      this.on('pong', () => void counts.control++);
      // A socket closed while still connecting (the bench ending) must not throw unhandled.
      this.on('error', () => undefined);
    }

    override send(data: unknown, ...rest: unknown[]): void {
      counts.sent++;
      (super.send as (data: unknown, ...rest: unknown[]) => void).call(this, data, ...rest);
    }
  }
  const websocketProvider = new HocuspocusProviderWebsocket({
    url: `${baseUrl.replace(/^http/, 'ws')}/v1/realtime?dashboard=${dashboardId}`,
    WebSocketPolyfill: CountingWebSocket,
    delay: 100,
    minDelay: 50,
    maxDelay: 1000,
  });
  const provider = new HocuspocusProvider({ websocketProvider, name: dashboardId, document: new Y.Doc(), token });
  provider.attach();
  return {
    synced: () => provider.isSynced,
    destroy: () => {
      provider.destroy();
      websocketProvider.destroy();
    },
  };
}
