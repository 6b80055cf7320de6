// Frames waiting to be written while the overlay is away or the socket is congested, in call order. The bound
// (bytes) is the client's to enforce, since it also counts requests already written; this queue keeps the count
// exact as items come, go, or are cancelled (a request that timed out while queued is never sent).
import type { PendingRequest } from './pending-requests.ts';

export interface OutboxItem {
  /** The encoded frame; null once cancelled (the item is skipped when it reaches the head). */
  frame: Buffer | null;
  /** The request this frame carries, if it is one. */
  readonly request: PendingRequest | null;
  /** False for frames that mean nothing to another connection, or that the client restores by itself. */
  readonly keepAcrossReconnect: boolean;
}

export class Outbox {
  private items: OutboxItem[] = [];
  private head = 0;
  private total = 0;
  private live = 0;

  /** Bytes of the frames waiting. */
  get bytes(): number {
    return this.total;
  }

  /** Frames waiting (cancelled ones excluded). */
  get length(): number {
    return this.live;
  }

  push(item: OutboxItem): void {
    this.items.push(item);
    this.count(item, 1);
  }

  /** Puts frames ahead of everything waiting (requests to send again after a reconnect). */
  unshiftAll(items: readonly OutboxItem[]): void {
    if (items.length === 0) return;
    this.items = [...items, ...this.items.slice(this.head)];
    this.head = 0;
    for (const i of items) this.count(i, 1);
  }

  /** The next frame to write, without taking it; skips cancelled items. */
  peek(): OutboxItem | undefined {
    while (this.head < this.items.length && this.items[this.head]!.frame === null) this.head++;
    this.compact();
    return this.items[this.head];
  }

  shift(): OutboxItem | undefined {
    const item = this.peek();
    if (item === undefined) return undefined;
    this.head++;
    this.count(item, -1);
    this.compact();
    return item;
  }

  /** Forgets an item's frame (it will be skipped); idempotent. */
  cancel(item: OutboxItem): void {
    if (item.frame === null) return;
    this.count(item, -1);
    item.frame = null;
  }

  /** Cancels every waiting item `drop` selects; returns how many. */
  dropWhere(drop: (item: OutboxItem) => boolean): number {
    let n = 0;
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i]!;
      if (item.frame !== null && drop(item)) {
        this.cancel(item);
        n++;
      }
    }
    return n;
  }

  clear(): void {
    for (let i = this.head; i < this.items.length; i++) this.items[i]!.frame = null;
    this.items = [];
    this.head = 0;
    this.total = 0;
    this.live = 0;
  }

  private count(item: OutboxItem, sign: 1 | -1): void {
    if (item.frame === null) return;
    this.total += sign * item.frame.length;
    this.live += sign;
  }

  /** Drops consumed slots once they are the larger part of the array (amortised O(1) per item). */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
