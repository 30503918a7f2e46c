import type { AbortSource } from '../gateway/app-responder.js';

/** AbortSource for the responders: listeners in an array, fired once. */
export class AbortListeners implements AbortSource {
  aborted = false;
  private listeners: Array<() => void> | undefined;

  onAbort(listener: () => void): () => void {
    if (this.aborted) {
      listener();
      return noop;
    }
    if (this.listeners === undefined) this.listeners = [listener];
    else this.listeners.push(listener);
    return () => {
      const list = this.listeners;
      const i = list === undefined ? -1 : list.indexOf(listener);
      if (i >= 0) list?.splice(i, 1);
    };
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const list = this.listeners;
    this.listeners = undefined;
    if (list !== undefined) for (const listener of list) listener();
  }
}

function noop(): void {}
