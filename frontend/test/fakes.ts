// Minimal browser stand-ins so the client core runs under node:test.

export class FakeSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: any[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(public url: string) {
    FakeSocket.all.push(this);
  }
  static get last(): FakeSocket {
    return FakeSocket.all[FakeSocket.all.length - 1];
  }
  send(data: string): void {
    if (this.readyState !== 1) throw new Error("not open");
    this.sent.push(JSON.parse(data));
  }
  close(): void {
    this.readyState = 3;
  }
  // test controls
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }
  recv(event: object): void {
    this.onmessage?.({ data: JSON.stringify(event) });
  }
  drop(): void {
    this.readyState = 3;
    this.onclose?.();
  }
  actions(name: string): any[] {
    return this.sent.filter((f) => f.action === name);
  }
}

export function installBrowserFakes(): void {
  const noop = () => undefined;
  const g = globalThis as any;
  g.window = { addEventListener: noop, removeEventListener: noop };
  g.document = { addEventListener: noop, visibilityState: "visible", hasFocus: () => true };
  g.WebSocket = FakeSocket;
}

export const tick = () => new Promise((r) => setTimeout(r, 0));
