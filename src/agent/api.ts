/**
 * The agent's HTTP API (fastify, a JSON schema on every route):
 *   GET /healthz                 the process is alive
 *   GET /readyz                  tailing and the index writable (503 otherwise)
 *   GET /metrics                 Prometheus text
 *   GET /v1/requests/:id         one request, the same JSON as `claw-trace <id> --json`
 *   GET /v1/requests?from&to&status&minStatus&region&limit   access lines of a window
 *   GET /v1/failures?from&to&cause&region&limit   failed requests, diagnosed and grouped
 * With a token configured, everything but /healthz and /readyz needs `Authorization: Bearer`.
 * The lookup's code and its 200 schema (the trace JSON's) are loaded at its first request
 * (requestLookup.ts): the intake alone does not hold them.
 */
import { accessSync, constants } from 'node:fs';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { MAX_REQUEST_ID_CHARS } from '../store/recordIndex.js';
import type { AgentMetrics } from './metrics.js';
import { PoolBusyError } from './queryPool.js';
import { tokenMatches } from './token.js';
import type { AgentView } from './view.js';

/** Longest time window a search may cover, and most results per page. */
export const MAX_RANGE_MS = 24 * 3600_000;
export const MAX_LIMIT = 500;

const ERROR = { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] } as const;

/** The query of the window routes: a time window (epoch ms), a region, a page size; `more` adds a route's own filters. */
function windowQuery(more: Record<string, object>) {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      from: { type: 'integer', minimum: 0 },
      to: { type: 'integer', minimum: 0 },
      region: { type: 'string', maxLength: 64 },
      limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: 100 },
      ...more,
    },
  };
}
interface WindowQuery {
  from?: number;
  to?: number;
  region?: string;
  limit: number;
}
const WINDOW_ERROR = `from..to must be a window of at most ${MAX_RANGE_MS / 3600_000} h (epoch ms)`;
/** The window asked for (default: the last hour), or undefined when it is empty or too long. */
function windowOf(q: WindowQuery): { from: number; to: number } | undefined {
  const to = q.to ?? Date.now();
  const from = q.from ?? to - 3600_000;
  return to <= from || to - from > MAX_RANGE_MS ? undefined : { from, to };
}

let requestLookup: Promise<typeof import('./requestLookup.js')> | undefined;

export function buildApi(
  agent: AgentView & { readonly metrics: AgentMetrics },
  o: { token?: string; logger: Logger },
): FastifyInstance {
  const queries = () => {
    if (!agent.queries) throw new Error('the query threads are not started');
    return agent.queries;
  };
  // Requests are logged at info by fastify: the API's logger says only warnings and errors.
  const app = Fastify({
    loggerInstance: o.logger.child({ component: 'api' }, { level: 'warn' }) as FastifyBaseLogger,
    routerOptions: { maxParamLength: MAX_REQUEST_ID_CHARS * 3 },
  });
  const open = new Set(['/healthz', '/readyz']);
  if (o.token) {
    const token = o.token;
    app.addHook('onRequest', async (req, reply) => {
      if (open.has(req.routeOptions.url ?? '')) return;
      const h = req.headers.authorization;
      const presented = h?.startsWith('Bearer ') ? h.slice(7) : undefined;
      if (!tokenMatches(presented, token))
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer')
          .send({ error: 'a bearer token is required (Authorization: Bearer <token>)' });
    });
  }

  app.get(
    '/healthz',
    { schema: { response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        response: {
          '2xx': {
            type: 'object',
            properties: { ready: { type: 'boolean' }, files: { type: 'integer' }, reason: { type: 'string' } },
          },
        },
      },
    },
    async (_req, reply) => {
      // Never a write here: a probe must not wait on the intake's lock (that would stall every route).
      const file = agent.index.file;
      let writable = !agent.index.readonly;
      try {
        accessSync(file, constants.W_OK);
      } catch {
        writable = false;
      }
      const files = agent.tailing().length;
      if (!writable) return reply.code(503).send({ ready: false, files, reason: `the index ${file} is not writable` });
      if (!agent.isTailing())
        return reply.code(503).send({ ready: false, files, reason: 'not tailing (starting or stopping)' });
      const problem = agent.intakeProblem();
      if (problem !== undefined)
        return reply
          .code(503)
          .send({ ready: false, files, reason: `the intake cannot write to the index: ${problem}` });
      return { ready: true, files };
    },
  );

  app.get('/metrics', async (_req, reply) => {
    reply.type(agent.metrics.registry.contentType);
    return agent.metrics.registry.metrics();
  });

  // The heavy routes run on the query threads: when they are all busy and the line is full,
  // 503 with Retry-After (the client comes back) instead of work piling up.
  app.setErrorHandler(async (e, _req, reply) => {
    if (e instanceof PoolBusyError)
      return reply.code(503).header('retry-after', String(e.retryAfterS)).send({ error: e.message });
    throw e;
  });

  app.get<{ Params: { id: string } }>(
    '/v1/requests/:id',
    {
      schema: {
        // Printable ASCII, bounded: what proxies put in request ID headers. Anything else is refused.
        params: {
          type: 'object',
          properties: {
            id: { type: 'string', minLength: 1, maxLength: MAX_REQUEST_ID_CHARS, pattern: '^[\\x21-\\x7e]+$' },
          },
          required: ['id'],
        },
        // 200: the trace JSON's schema, compiled at the first lookup (below).
        response: {
          404: ERROR,
          409: {
            type: 'object',
            properties: { error: { type: 'string' }, candidates: { type: 'array', items: { type: 'string' } } },
          },
        },
      },
    },
    async (req, reply) => {
      const { lookUpRequest, TraceJsonSchema } = await (requestLookup ??= import('./requestLookup.js'));
      const r = lookUpRequest(agent.index, req.params.id);
      if ('ambiguous' in r)
        return reply.code(409).send({
          error: `${r.ambiguous.length} request IDs start with this prefix; give more of it`,
          candidates: r.ambiguous,
        });
      if ('missing' in r) return reply.code(404).send({ error: "no such request in this agent's index" });
      // As a route's 200 schema would (fast-json-stringify, compiled once and cached by fastify).
      return reply
        .type('application/json; charset=utf-8')
        .serializer(reply.compileSerializationSchema(TraceJsonSchema, '200'))
        .send(r.trace);
    },
  );

  app.get<{ Querystring: WindowQuery & { status?: number; minStatus?: number } }>(
    '/v1/requests',
    {
      schema: {
        querystring: windowQuery({
          status: { type: 'integer', minimum: 0, maximum: 999 },
          minStatus: { type: 'integer', minimum: 0, maximum: 999 },
        }),
        response: { 400: ERROR },
      },
    },
    async (req, reply) => {
      const w = windowOf(req.query);
      if (!w) return reply.code(400).send({ error: WINDOW_ERROR });
      const r = await queries().run<{ json: string }>({
        kind: 'requests',
        args: {
          ...w,
          status: req.query.status,
          minStatus: req.query.minStatus,
          region: req.query.region,
          limit: req.query.limit,
        },
      });
      return reply.type('application/json; charset=utf-8').send(r.json);
    },
  );

  app.get<{ Querystring: WindowQuery & { cause?: string } }>(
    '/v1/failures',
    {
      schema: { querystring: windowQuery({ cause: { type: 'string', maxLength: 64 } }), response: { 400: ERROR } },
    },
    async (req, reply) => {
      const w = windowOf(req.query);
      if (!w) return reply.code(400).send({ error: WINDOW_ERROR });
      const r = await queries().run<{ json: string }>({
        kind: 'failures',
        args: { ...w, region: req.query.region, limit: req.query.limit, cause: req.query.cause },
        label: { region: agent.effectiveConfig.region ?? null, builder: agent.effectiveConfig.builder },
      });
      return reply.type('application/json; charset=utf-8').send(r.json);
    },
  );

  return app;
}
