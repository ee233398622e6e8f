/**
 * What the API and the metrics read of a running agent. agent.ts implements it; api.ts and
 * metrics.ts depend on this interface, not on the Agent class (which builds them): no cycle.
 */

import type { ExportStats } from '../export/pipeline.js';
import type { RecordIndex } from '../store/recordIndex.js';
import type { AgentConfig } from './config.js';
import type { QueryPool } from './queryPool.js';

export interface AgentView {
  readonly index: RecordIndex;
  readonly effectiveConfig: AgentConfig;
  /** The files followed now. */
  tailing(): string[];
  isTailing(): boolean;
  /** Why the intake cannot write to the index, when it cannot. */
  intakeProblem(): string | undefined;
  exportStats(): ExportStats | undefined;
  /** The query threads for the heavy routes and gauges (undefined until started). */
  readonly queries: QueryPool | undefined;
}
