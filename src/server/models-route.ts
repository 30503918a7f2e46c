import type { ServerResponse } from 'node:http';
import type { Config } from '../config/types.js';

/** GET /v1/models: the aliases and feature routes the app may name as `model`. */
export function sendModels(res: ServerResponse, config: Config): void {
  const data = [
    ...[...config.models.entries()].map(([id, t]) => ({
      id,
      object: 'model',
      created: 0,
      owned_by: 'switchyard',
      switchyard: { kind: 'alias', target: t.label },
    })),
    ...[...config.features.values()].map((f) => ({
      id: f.name,
      object: 'model',
      created: 0,
      owned_by: 'switchyard',
      switchyard: { kind: 'route', targets: f.targets.map((t) => t.label), model_override: f.modelOverride },
    })),
  ];
  const body = JSON.stringify({ object: 'list', data });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
