// In-process notice that a job changed, for the event streams to send its new status.
import { EventEmitter } from 'node:events';

// A symbol, so no job id can ever collide with it.
const SHUTDOWN = Symbol('shutdown');

/**
 * Tells server-event streams that a job changed. In-process: the node that runs a job is the node
 * its stream is on for SQLite; other stores can feed it from elsewhere.
 */
export class JobEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per open events stream; hundreds of watchers are normal.
    this.emitter.setMaxListeners(0);
  }

  changed(jobId: string): void {
    this.emitter.emit(jobId);
    this.emitter.emit('*', jobId);
  }

  subscribe(jobId: string, listener: () => void): () => void {
    this.emitter.on(jobId, listener);
    return () => this.emitter.off(jobId, listener);
  }

  /** Every change of every job, with its id (the server-wide stream filters by owner). */
  subscribeAll(listener: (jobId: string) => void): () => void {
    this.emitter.on('*', listener);
    return () => this.emitter.off('*', listener);
  }

  /** Jobs with an open stream on this node, and whether anyone listens to every job ('*'). */
  watched(): { ids: string[]; all: boolean } {
    const ids = this.emitter.eventNames().filter((n): n is string => typeof n === 'string' && n !== '*');
    return { ids, all: this.emitter.listenerCount('*') > 0 };
  }

  /** The server is closing: open streams end now rather than hold the shutdown up. */
  onShutdown(listener: () => void): () => void {
    this.emitter.on(SHUTDOWN, listener);
    return () => this.emitter.off(SHUTDOWN, listener);
  }

  shutdown(): void {
    this.emitter.emit(SHUTDOWN);
  }
}
