import type { ResourceInfo } from '../core/call-record.js';
import type { Logger } from '../core/log.js';
import type { Usage } from '../core/usage.js';
import type { ProviderAdapter, WireProtocol } from '../providers/types.js';
import type { CallRecorder } from '../telemetry/recorder-types.js';
import type { UpstreamClient } from './upstream-client.js';

/** USD for one attempt's usage, or null when the price is unknown (never 0 for unknown). */
export type CostFn = (input: { provider: string; providerName: string; model: string; usage: Usage }) => number | null;

/** Everything the gateway needs, built once by the composition root (src/main.ts). */
export interface GatewayDeps {
  client: UpstreamClient;
  recorder: CallRecorder;
  cost: CostFn;
  priceTableVersion: string;
  resource: ResourceInfo;
  adapterFor(protocol: WireProtocol): ProviderAdapter | undefined;
  log: Logger;
  /** Upper bound for a buffered (non-stream) upstream response. */
  maxResponseBytes: number;
}
