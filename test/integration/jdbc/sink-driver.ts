import type { ChangeRecord, ErrantRecordReporter } from '../../../runtime/api/index.js';
import { connectorCommonSpec, sinkCommonSpec } from '../../../runtime/config/common.js';
import { parseConfig } from '../../../runtime/config/parse.js';
import { jdbcConfigSpec } from '../../../connectors/jdbc/config.js';
import { JdbcSinkTask } from '../../../connectors/jdbc/task.js';
import { JsonConverter } from '../../../runtime/converters/json.js';
import { testLogger } from '../../harness/task-driver.js';

/** A JDBC sink task driven as the runtime drives it: parsed config, put, flush, stop. */
export class SinkDriver {
  readonly task = new JdbcSinkTask();
  readonly log: string[] = [];
  readonly reported: Array<{ record: ChangeRecord; error: unknown }> = [];
  private readonly abort = new AbortController();

  constructor(
    private readonly raw: Record<string, string>,
    private readonly reporter: 'none' | 'collect' = 'none',
  ) {}

  async start(): Promise<void> {
    const { config, issues } = parseConfig([...connectorCommonSpec, ...sinkCommonSpec, ...jdbcConfigSpec], {
      name: 'jdbc',
      'connector.class': 'JdbcSinkConnector',
      ...this.raw,
    });
    if (issues.length) throw new Error(JSON.stringify(issues));
    const conv = new JsonConverter({ schemasEnable: true, decimalFormat: 'BASE64' });
    const reporter: ErrantRecordReporter | undefined =
      this.reporter === 'collect'
        ? {
            report: async (record, error) => {
              this.reported.push({ record, error });
            },
          }
        : undefined;
    await this.task.start(config, {
      connector: 'jdbc',
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
