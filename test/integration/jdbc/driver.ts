import { jdbcSinkPlugin } from '../../../connectors/jdbc/index.js';
import { SinkDriver as Driver } from '../../harness/sink-driver.js';

/** The JDBC sink task, driven without the runtime (test/harness/sink-driver.ts). */
export class SinkDriver extends Driver {
  constructor(raw: Record<string, string>, reporter: 'none' | 'collect' = 'none') {
    super(jdbcSinkPlugin, raw, reporter);
  }
}
