import express from 'express';
import { webhookSignature } from '../../middleware/webhook-signature';
import { signWebhook } from '../../src/auth/webhook';
import { QuotaExceededError, StoreUnavailableError } from '../../src/http/problems';
import { MemoryStore, type Store } from '../../src/store';
import { testClock } from '../helpers';
import { check, type Send } from './check';

const SECRET = 'whsec_test';
const BODY = '{"id":"evt"}';
const clock = testClock();
const t = Math.floor(clock.now() / 1000);
const signed = `t=${t},v1=${signWebhook(SECRET, t, Buffer.from(BODY))}`;

const guard = (store: Store) => [
  express.raw({ type: () => true }),
  webhookSignature({ secret: SECRET, store, clock, owner: () => 'visitor-tag-0001' }),
];
const post =
  (signature: string): Send =>
  (agent) =>
    agent
      .post('/')
      .set('Content-Type', 'application/json')
      .set('Stripe-Signature', signature)
      .send(BODY);

/** A store whose writes all throw this error. */
const failing = (err: Error): Store =>
  Object.assign(new MemoryStore({ maxEntries: 100, clock, sweepIntervalMs: 0 }), {
    setIfAbsent: () => Promise.reject(err),
  });

describe('webhookSignature()', () => {
  it('lets a signed delivery through once, then refuses it as a replay', async () => {
    const store = new MemoryStore({ maxEntries: 100, clock, sweepIntervalMs: 0 });
    await check(guard(store), post(signed), { status: 200, headers: { 'WWW-Authenticate': null } });
    await check(guard(store), post(signed), { status: 400, code: 'webhook_signature_replayed' });
  });

  it('writes nothing for a wrong signature', async () => {
    const store = failing(new Error('must not be called'));
    await check(guard(store), post(`t=${t},v1=${'f'.repeat(64)}`), {
      status: 400,
      code: 'webhook_signature_invalid',
    });
  });

  it('answers 503 when the store cannot remember, 429 past the visitor quota', async () => {
    await check(guard(failing(new StoreUnavailableError('down'))), post(signed), {
      status: 503,
      code: 'store_unavailable',
    });
    await check(guard(failing(new QuotaExceededError('full', 60))), post(signed), {
      status: 429,
      code: 'visitor_quota_exceeded',
    });
  });
});
