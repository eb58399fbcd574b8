import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { checkClientUpdate } from '../../../src/app/realtime/server-owned.ts';

const me = '11111111-1111-4111-8111-111111111111';
const other = '22222222-2222-4222-8222-222222222222';
const approvalKey = '33333333-3333-4333-8333-333333333333:gate';

/** A server document with an execution and a waiting approval, and a client synced with it. */
function setup() {
  const server = new Y.Doc();
  server.transact(() => {
    server.getMap('executions').set('e1', { status: 'running' });
    const approval = new Y.Map<unknown>();
    server.getMap<Y.Map<unknown>>('approvals').set(approvalKey, approval);
    approval.set('status', 'waiting');
    approval.set('decisions', new Y.Map());
    const item = new Y.Map<unknown>();
    server.getMap('items').set('n1', item);
    item.set('body', new Y.Text('hello'));
  });
  const client = new Y.Doc();
  Y.applyUpdate(client, Y.encodeStateAsUpdate(server));
  return { server, client };
}

/** What the client's change sends (the update of its transaction). */
function edit(client: Y.Doc, change: () => void): Uint8Array {
  const before = Y.encodeStateVector(client);
  client.transact(change);
  return Y.encodeStateAsUpdate(client, before);
}

describe('checkClientUpdate', () => {
  it('allows ordinary edits: text, new items, layout, unknown maps', () => {
    const { server, client } = setup();
    const typed = edit(client, () => ((client.getMap('items').get('n1') as Y.Map<unknown>).get('body') as Y.Text).insert(5, ' world'));
    expect(checkClientUpdate(server, typed, me)).toEqual({ verdict: 'allowed' });
    Y.applyUpdate(server, typed);
    const more = edit(client, () => {
      const item = new Y.Map<unknown>();
      client.getMap('items').set('n2', item);
      item.set('title', 'x');
      client.getMap('layout').set('n2', { x: 1, y: 1, w: 1, h: 1 });
      ((client.getMap('items').get('n1') as Y.Map<unknown>).get('body') as Y.Text).delete(0, 3);
    });
    expect(checkClientUpdate(server, more, me)).toEqual({ verdict: 'allowed' });
  });

  it('refuses writes and deletes in server-owned maps', () => {
    for (const change of [
      (c: Y.Doc) => c.getMap('executions').set('e1', { status: 'succeeded' }),
      (c: Y.Doc) => c.getMap('executions').delete('e1'),
      (c: Y.Doc) => c.getMap('sessions').set('s1', { status: 'ready' }),
      (c: Y.Doc) => (c.getMap('approvals').get(approvalKey) as Y.Map<unknown>).set('status', 'approved'),
      (c: Y.Doc) => (c.getMap('approvals').get(approvalKey) as Y.Map<unknown>).set('decisions', new Y.Map()),
      (c: Y.Doc) => ((c.getMap('approvals').get(approvalKey) as Y.Map<unknown>).get('decisions') as Y.Map<unknown>).set(other, { approved: true }),
      (c: Y.Doc) => c.getMap('approvals').delete(approvalKey),
    ]) {
      const { server, client } = setup();
      expect(checkClientUpdate(server, edit(client, () => change(client)), me).verdict).toBe('server-owned');
    }
  });

  it('allows a person their own decision, set and replaced, but not removed', () => {
    const { server, client } = setup();
    const decisions = () => (client.getMap('approvals').get(approvalKey) as Y.Map<unknown>).get('decisions') as Y.Map<unknown>;
    const first = edit(client, () => decisions().set(me, { approved: true }));
    expect(checkClientUpdate(server, first, me)).toEqual({ verdict: 'allowed' });
    expect(checkClientUpdate(server, first, other).verdict).toBe('server-owned');
    Y.applyUpdate(server, first);
    const changed = edit(client, () => decisions().set(me, { approved: false }));
    expect(checkClientUpdate(server, changed, me)).toEqual({ verdict: 'allowed' });
    Y.applyUpdate(server, changed);
    expect(checkClientUpdate(server, edit(client, () => decisions().delete(me)), me).verdict).toBe('server-owned');
  });

  it('finds a write through a chain of the update own structs (offline edits sent at once)', () => {
    const { server, client } = setup();
    const offline = edit(client, () => {
      const text = new Y.Text('abc');
      const entry = new Y.Map<unknown>();
      client.getMap('items').set('n3', entry);
      entry.set('body', text);
    });
    const forged = edit(client, () => client.getMap('executions').set('e1', { status: 'succeeded' }));
    expect(checkClientUpdate(server, Y.mergeUpdates([offline, forged]), me).verdict).toBe('server-owned');
    expect(checkClientUpdate(server, offline, me).verdict).toBe('allowed');
  });

  it('allows a sync step 2 that repeats the server deletes in its own maps', () => {
    const { server, client } = setup();
    server.getMap('executions').set('e1', { status: 'failed' });
    Y.applyUpdate(client, Y.encodeStateAsUpdate(server, Y.encodeStateVector(client)));
    edit(client, () => client.getMap('items').set('a', 1));
    // The client's answer to the server's sync step 1 carries its whole delete set.
    const step2 = Y.encodeStateAsUpdate(client, Y.encodeStateVector(server));
    expect(checkClientUpdate(server, step2, me)).toEqual({ verdict: 'allowed' });
  });

  it('refuses updates that build on what the server lacks, and unreadable bytes', () => {
    const { server, client } = setup();
    edit(client, () => client.getMap('items').set('a', 1));
    const second = edit(client, () => client.getMap('items').set('b', 2));
    expect(checkClientUpdate(server, second, me)).toEqual({ verdict: 'unresolved' });
    expect(checkClientUpdate(server, new Uint8Array([1, 2, 3, 250]), me)).toEqual({ verdict: 'unreadable' });
  });

  it('refuses a delete of ids the server does not have yet (it would strike later server writes)', () => {
    const { server } = setup();
    const forger = new Y.Doc();
    forger.clientID = server.clientID;
    Y.applyUpdate(forger, Y.encodeStateAsUpdate(server));
    forger.getMap('items').set('x', 1);
    forger.getMap('items').delete('x');
    // Only the delete set: the struct it deletes is the server's next write, not sent.
    const deletesOnly = Y.encodeStateAsUpdate(forger, Y.encodeStateVector(forger));
    expect(checkClientUpdate(server, deletesOnly, me)).toEqual({ verdict: 'unresolved' });
  });

  it('refuses a delete of future ids hidden behind a Skip struct', () => {
    const { server } = setup();
    const state = Y.getState(server.store, server.clientID);
    // Hand-written v1 update: one client (the server's) with one Skip struct of 100 clocks from its
    // state, and a delete set striking clock state + 50 of it (the server's 51st next write).
    const bytes: number[] = [];
    const varUint = (n: number) => {
      while (n > 0x7f) {
        bytes.push((n & 0x7f) | 0x80);
        n = Math.floor(n / 128);
      }
      bytes.push(n);
    };
    varUint(1);
    varUint(1);
    varUint(server.clientID);
    varUint(state);
    bytes.push(10);
    varUint(100);
    varUint(1);
    varUint(server.clientID);
    varUint(1);
    varUint(state + 50);
    varUint(1);
    const update = new Uint8Array(bytes);
    expect(Y.decodeUpdate(update).ds.clients.get(server.clientID)).toEqual([expect.objectContaining({ clock: state + 50, len: 1 })]);
    expect(checkClientUpdate(server, update, me)).toEqual({ verdict: 'unresolved' });
  });
});
