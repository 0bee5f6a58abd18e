// Job-change notices for PostgreSQL, where another node may run the job: one poll per node of
// the jobs this node has streams open for.
import type { JobEvents } from '../job-events.js';
import type { ServerLogger } from '../observe/server-log.js';

/**
 * Server events on a shared store: a job may run on another node, so this node cannot rely on its
 * own worker's `changed` calls. One poller per node asks PostgreSQL every `intervalMs` for the
 * change counter (bulk_jobs.version) of the jobs it has streams open for, and tells those
 * streams when one moved. One query per node per interval, whatever the number of streams, and
 * no connection held per stream (LISTEN/NOTIFY would pin one connection per node and lose
 * notifications across reconnects); idle when no stream is open.
 */
export class PgEventsPoller {
  private readonly seen = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private polling = false;

  constructor(
    private readonly events: JobEvents,
    private readonly versions: (ids: string[], all: boolean) => Promise<Map<string, number>>,
    private readonly intervalMs = 250,
    private readonly log?: ServerLogger,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async poll(): Promise<void> {
    if (this.polling) return;
    const { ids, all } = this.events.watched();
    if (ids.length === 0 && !all) {
      this.seen.clear();
      return;
    }
    this.polling = true;
    try {
      const now = await this.versions(ids, all);
      for (const [id, version] of now) {
        const before = this.seen.get(id);
        this.seen.set(id, version);
        // First sight too: a change between a stream's first send and this poll must not be lost (streams skip
        // repeats).
        if (before !== version) this.events.changed(id);
      }
      for (const id of this.seen.keys()) if (!now.has(id)) this.seen.delete(id);
    } catch (err) {
      // Every 250 ms while the database is away: store health logs the outage once; this is detail.
      this.log?.debug({ err: (err as Error).message }, 'events poll failed');
    } finally {
      this.polling = false;
    }
  }
}
