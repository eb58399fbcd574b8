import * as Y from 'yjs';

/**
 * What clients may not write in a dashboard document (see docs/dashboard-document.md, "What clients
 * may write"): the maps the server mirrors from Postgres. A map the server starts mirroring must be
 * added here, or any editor can forge it.
 */
export const serverOwnedMaps: ReadonlySet<string> = new Set(['executions', 'approvals', 'sessions', 'progress', 'artifacts']);

/**
 * What the server does with a client's update:
 * - `allowed`: apply it;
 * - `server-owned`: it writes (or deletes) inside a server-owned map, other than the writer's own
 *   approval decision: refuse it whole (`map` names the first map it touches);
 * - `unresolved`: it builds on content this server does not hold (a gap in a client's edits, a
 *   delete of something not yet there), so where it lands cannot be known: refuse it whole; a
 *   resync (the provider's sync on reconnect) sends it again with what it builds on;
 * - `unreadable`: Yjs cannot decode it.
 */
export type ClientUpdateVerdict = { readonly verdict: 'allowed' } | { readonly verdict: 'server-owned'; readonly map: string } | { readonly verdict: 'unresolved' } | { readonly verdict: 'unreadable' };

/** Where a struct lands: the root map's name, then map keys (null: a position in a sequence). */
type Path = ReadonlyArray<string | null>;
/** A struct Yjs will integrate as garbage (its neighbour or parent was garbage-collected): harmless. */
const garbage = 'garbage';
/** A struct whose place cannot be known from this server's document and the update. */
const unknown = 'unknown';
type Place = Path | typeof garbage | typeof unknown;

/**
 * Decides whether a client's update (y-protocols sync step 2 or update, Yjs v1 encoding) may be
 * applied to `doc`, written by the user `userId`. It reads the update's structs and delete set
 * without applying anything, finding where each struct lands as Yjs's own integration would (its
 * explicit parent, or the parent of its left or right neighbour), through the server's document or
 * the update itself. Costs a few lookups per struct: an ordinary edit (a keystroke, a todo ticked)
 * is one or two.
 *
 * The one write allowed inside a server-owned map: the writer's own entry in an approval's
 * decisions (`approvals/<key>/decisions/<userId>`, anything under it), set or replaced, not deleted.
 */
export function checkClientUpdate(doc: Y.Doc, update: Uint8Array, userId: string): ClientUpdateVerdict {
  try {
    return check(doc, update, userId);
  } catch {
    // Yjs's own lookups throw on ids a well-formed update cannot name: refuse what cannot be read.
    return { verdict: 'unreadable' };
  }
}

function check(doc: Y.Doc, update: Uint8Array, userId: string): ClientUpdateVerdict {
  let decoded: { structs: Array<Y.Item | Y.GC | Y.Skip>; ds: { clients: Map<number, Array<{ clock: number; len: number }>> } };
  try {
    decoded = Y.decodeUpdate(update) as unknown as typeof decoded;
  } catch {
    return { verdict: 'unreadable' };
  }
  const resolver = new Resolver(doc, decoded.structs);
  const inserted = new Set<string>();
  /** Per client, where the structs Yjs integrates now end (a gap or a Skip ends them). */
  const reach = new Map<number, number>();
  for (const [client, structs] of resolver.byClient) {
    const state = Y.getState(doc.store, client);
    let next = state;
    for (const struct of structs) {
      const end = struct.id.clock + struct.length;
      if (struct instanceof Y.Skip) continue;
      // Yjs holds back a struct after a gap (it waits for what is missing) and applies it later,
      // whoever sends the gap: refuse it now, while it can still be refused.
      if (struct.id.clock > next) return { verdict: 'unresolved' };
      if (end <= next) continue; // the server has all of it: Yjs skips it
      next = end;
      if (struct instanceof Y.GC) continue;
      const place = resolver.place(struct);
      if (place === unknown) return { verdict: 'unresolved' };
      if (place === garbage) continue;
      if (!resolver.rightAgrees(struct, place)) return { verdict: 'unresolved' };
      // Partly known: Yjs links the rest after the part it has, which must be in the same place.
      if (struct.id.clock < state && !samePlace(resolver.storedPlace(Y.getItem(doc.store, Y.createID(client, state - 1))), place)) return { verdict: 'unresolved' };
      const owner = serverOwner(place, userId);
      if (owner !== undefined) return { verdict: 'server-owned', map: owner };
      inserted.add(key(place));
    }
    reach.set(client, next);
  }
  for (const [client, ranges] of decoded.ds.clients) {
    const state = Y.getState(doc.store, client);
    const sentEnd = reach.get(client) ?? state;
    for (const { clock, len } of ranges) {
      // Deleting what nobody has yet would wait in Yjs and strike whatever later takes that id.
      if (clock + len > Math.max(state, sentEnd)) return { verdict: 'unresolved' };
      const structs = doc.store.clients.get(client);
      if (structs === undefined || clock >= state) continue; // only the update's own structs: checked above
      for (let i = Y.findIndexSS(structs, clock); i < structs.length; i++) {
        const struct = structs[i];
        if (struct === undefined || struct.id.clock >= clock + len) break;
        if (!(struct instanceof Y.Item) || struct.deleted) continue; // gone already: deleting again changes nothing
        const place = resolver.storedPlace(struct);
        if (place === unknown) return { verdict: 'unresolved' };
        if (place === garbage) continue;
        const owner = serverOwner(place, userId);
        // One's own decision may be replaced (the new entry deletes the old), not removed.
        if (owner !== undefined || (isServerOwned(place) && !inserted.has(key(place)))) return { verdict: 'server-owned', map: String(place[0]) };
      }
    }
  }
  return { verdict: 'allowed' };
}

function isServerOwned(path: Path): boolean {
  return typeof path[0] === 'string' && serverOwnedMaps.has(path[0]);
}

/** The server-owned map `path` writes into, unless it is `userId`'s own approval decision. */
function serverOwner(path: Path, userId: string): string | undefined {
  const [root, approvalKey, field, decider] = path;
  if (typeof root !== 'string' || !serverOwnedMaps.has(root)) return undefined;
  const ownDecision = root === 'approvals' && typeof approvalKey === 'string' && field === 'decisions' && decider === userId;
  return ownDecision ? undefined : root;
}

function rootName(doc: Y.Doc, type: Y.AbstractType<unknown>): string | undefined {
  for (const [name, shared] of doc.share) if (shared === type) return name;
  return undefined;
}

function samePlace(a: Place, b: Place): boolean {
  return typeof a !== 'string' && typeof b !== 'string' && key(a) === key(b);
}

function key(path: Path): string {
  return JSON.stringify(path);
}

/** Finds where structs land, memoised, walking chains of the update's structs without recursion. */
class Resolver {
  readonly byClient = new Map<number, Array<Y.Item | Y.GC | Y.Skip>>();
  readonly #doc: Y.Doc;
  readonly #places = new Map<Y.Item, Place>();

  constructor(doc: Y.Doc, structs: Array<Y.Item | Y.GC | Y.Skip>) {
    this.#doc = doc;
    for (const struct of structs) {
      const list = this.byClient.get(struct.id.client);
      if (list === undefined) this.byClient.set(struct.id.client, [struct]);
      else list.push(struct);
    }
    // An update lists each client's structs in clock order; a crafted one might not.
    for (const list of this.byClient.values()) list.sort((a, b) => a.id.clock - b.id.clock);
  }

  /** Where a struct of the server's document is (Yjs has resolved its parent). */
  storedPlace(struct: Y.Item | Y.GC): Place {
    if (!(struct instanceof Y.Item)) return garbage;
    const path: Array<string | null> = [struct.parentSub];
    let type = struct.parent as Y.AbstractType<unknown> | null;
    for (let depth = 0; type !== null; depth++) {
      const item: Y.Item | null = type._item;
      if (item === null) {
        const root = rootName(this.#doc, type);
        if (root === undefined) return unknown;
        path.push(root);
        return path.reverse();
      }
      // Deeper than any stack the document could be built with: treat as unknown.
      if (depth > 10_000) return unknown;
      path.push(item.parentSub);
      type = item.parent as Y.AbstractType<unknown> | null;
    }
    return unknown;
  }

  /** The struct holding `id`: the server's, when it has that clock, else the update's. */
  #find(id: Y.ID): Y.Item | Y.GC | undefined {
    if (id.clock < Y.getState(this.#doc.store, id.client)) return Y.getItem(this.#doc.store, id) as Y.Item | Y.GC;
    const list = this.byClient.get(id.client);
    if (list === undefined) return undefined;
    let low = 0;
    let high = list.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const struct = list[mid] as Y.Item | Y.GC | Y.Skip;
      if (id.clock < struct.id.clock) high = mid - 1;
      else if (id.clock >= struct.id.clock + struct.length) low = mid + 1;
      else return struct instanceof Y.Skip ? undefined : struct;
    }
    return undefined;
  }

  #stored(struct: Y.Item | Y.GC): boolean {
    return struct.id.clock < Y.getState(this.#doc.store, struct.id.client);
  }

  /**
   * Whether an item with both neighbours sits where its right neighbour does (an honest client's
   * always do): a crafted one could otherwise name a neighbour in another map.
   */
  rightAgrees(item: Y.Item, place: Place): boolean {
    if (item.origin === null || item.rightOrigin === null) return true;
    const right = this.#find(item.rightOrigin);
    if (right === undefined) return false;
    if (right instanceof Y.GC) return true; // Yjs integrates the item as garbage
    const theirs = this.#stored(right) ? this.storedPlace(right) : this.place(right);
    return theirs === garbage || samePlace(theirs, place);
  }

  /** Where an update's item lands, as Yjs's `getMissing` decides its parent. */
  place(start: Y.Item): Place {
    // Each pending entry waits for the place of another struct: `same` takes it as is (a
    // neighbour's place), `child` appends its own key (its parent item's type holds it).
    const pending: Array<{ item: Y.Item; how: 'same' | 'child' }> = [];
    const visiting = new Set<Y.Item>();
    let item = start;
    let found: Place;
    for (;;) {
      const memo = this.#places.get(item);
      if (memo !== undefined) {
        found = memo;
        break;
      }
      if (visiting.has(item)) {
        found = unknown;
        break;
      }
      visiting.add(item);
      const step = this.#reference(item);
      if (step.kind === 'done') {
        found = step.place;
        this.#places.set(item, found);
        break;
      }
      pending.push({ item, how: step.kind });
      item = step.next;
    }
    while (pending.length > 0) {
      const { item: waiting, how } = pending.pop() as { item: Y.Item; how: 'same' | 'child' };
      found = typeof found === 'string' ? found : how === 'same' ? found : [...found, waiting.parentSub];
      this.#places.set(waiting, found);
    }
    return found;
  }

  /** What an update's item takes its place from: known at once, or another update item. */
  #reference(item: Y.Item): { kind: 'done'; place: Place } | { kind: 'same' | 'child'; next: Y.Item } {
    const parent = item.parent as unknown;
    if (item.origin !== null || item.rightOrigin !== null) {
      const left = item.origin === null ? undefined : this.#find(item.origin);
      const right = item.rightOrigin === null ? undefined : this.#find(item.rightOrigin);
      if ((item.origin !== null && left === undefined) || (item.rightOrigin !== null && right === undefined)) return { kind: 'done', place: unknown };
      if (left instanceof Y.GC || right instanceof Y.GC) return { kind: 'done', place: garbage };
      // Yjs takes the parent from the left neighbour (the right one when there is none); that the
      // right one agrees is checked apart (`rightAgrees`).
      const neighbour = (left ?? right) as Y.Item;
      if (this.#stored(neighbour)) return { kind: 'done', place: this.storedPlace(neighbour) };
      return { kind: 'same', next: neighbour };
    }
    if (typeof parent === 'string') return { kind: 'done', place: [parent, item.parentSub] };
    if (parent instanceof Y.ID) {
      const holder = this.#find(parent);
      if (holder === undefined) return { kind: 'done', place: unknown };
      if (holder instanceof Y.GC) return { kind: 'done', place: garbage };
      if (!(holder.content instanceof Y.ContentType)) return { kind: 'done', place: unknown };
      if (this.#stored(holder)) {
        const above = this.storedPlace(holder);
        return { kind: 'done', place: typeof above === 'string' ? above : [...above, item.parentSub] };
      }
      return { kind: 'child', next: holder };
    }
    return { kind: 'done', place: unknown };
  }
}
