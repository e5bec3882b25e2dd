import type { ChangeRecord, ErrantRecordReporter, SinkConnectorPlugin, SinkTask } from '../../runtime/api/index.js';
import { connectorCommonSpec, sinkCommonSpec } from '../../runtime/config/common.js';
import { parseConfig } from '../../runtime/config/parse.js';
import { JsonConverter } from '../../runtime/converters/json.js';
import { testLogger } from './task-driver.js';

/**
 * A sink task driven as the runtime drives it, without the runtime: the connector's config parsed against its spec
 * (and the common keys), start, put then flush, stop. With `reporter: 'collect'` the task gets an errant record
 * reporter that keeps what it is handed (as Connect's, present when a DLQ or error logging is configured).
 */
export class SinkDriver {
  readonly task: SinkTask;
  readonly log: string[] = [];
  readonly reported: Array<{ record: ChangeRecord; error: unknown }> = [];
  private readonly abort = new AbortController();

  constructor(
    private readonly plugin: SinkConnectorPlugin,
    private readonly raw: Record<string, string>,
    private readonly reporter: 'none' | 'collect' = 'none',
    /** value converter settings: schemas on (as the JDBC sink needs) unless told otherwise */
    private readonly schemasEnable = true,
  ) {
    this.task = plugin.createTask();
  }

  async start(): Promise<void> {
    const { config, issues } = parseConfig([...connectorCommonSpec, ...sinkCommonSpec, ...this.plugin.configSpec], {
      name: 'sink',
      'connector.class': this.plugin.className,
      ...this.raw,
    });
    if (issues.length) throw new Error(issues.map((i) => `${i.key}: ${i.message}`).join('; '));
    const extra = (await this.plugin.validate?.(config)) ?? [];
    if (extra.length) throw new Error(extra.map((i) => `${i.key}: ${i.message}`).join('; '));
    const conv = new JsonConverter({ schemasEnable: this.schemasEnable, decimalFormat: 'BASE64' });
    const reporter: ErrantRecordReporter | undefined =
      this.reporter === 'collect'
        ? {
            report: async (record, error) => {
              this.reported.push({ record, error });
            },
          }
        : undefined;
    await this.task.start(config, {
      connector: 'sink',
      taskId: 0,
      signal: this.abort.signal,
      log: testLogger(this.log),
      keyConverter: conv,
      valueConverter: conv,
      errantRecordReporter: reporter,
    });
  }

  async put(records: readonly ChangeRecord[]): Promise<void> {
    await this.task.put(records);
    await this.task.flush();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.task.stop();
  }
}
