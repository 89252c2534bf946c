import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { explainRecorder } from '../../middleware/explain-recorder';
import { requestId } from '../../middleware/request-id';
import type { ExplanationBook } from '../../src/teaching/explain';
import { createServer } from '../../src/http/server';
import { problem, problemHandler } from '../../src/http/problems';
import { testClock } from '../helpers';

describe('explainRecorder()', () => {
  it('throws at once without a book', () => {
    expect(() =>
      explainRecorder({ book: undefined as never, clock: testClock(), toleranceSeconds: 0 }),
    ).toThrow(TypeError);
  });

  describe('when recording an explanation throws after the answer was sent', () => {
    // A book that fails in every way it can: synchronously, where the old listener had no guard.
    const book = {
      claim: () => true,
      record: () => {
        throw new RangeError('Invalid time value');
      },
      find: async () => undefined,
    } as unknown as ExplanationBook;

    it('logs the throw and keeps serving; the process does not end', async () => {
      const lines: Record<string, unknown>[] = [];
      const logger = pino(
        { level: 'info' },
        { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
      );
      const app = express();
      app.use(requestId());
      app.use(explainRecorder({ book, clock: testClock(), toleranceSeconds: 30, logger }));
      app.get('/refuse', () => {
        throw problem('token_missing');
      });
      app.get('/ok', (_req, res) => {
        res.json({ ok: true });
      });
      app.use(problemHandler(logger));
      const server = createServer(app);

      const refused = await request(server).get('/refuse');
      expect(refused.status).toBe(401);
      // The listener runs on 'finish', just after the client has its answer.
      await new Promise((resolve) => setImmediate(resolve));
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: 50,
          msg: 'explanation not recorded',
          requestId: refused.headers['x-request-id'],
          err: expect.objectContaining({ message: 'Invalid time value' }),
        }),
      );
      await request(server).get('/ok').expect(200);
    });
  });
});
