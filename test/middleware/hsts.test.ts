import { hstsWhenSecure } from '../../middleware/hsts';
import { buildApp } from '../helpers';
import { check, get, type Send } from './check';

/** RFC 6797 §7.2: Strict-Transport-Security only over a secure transport, never over plain http. */
describe('Strict-Transport-Security', () => {
  it('is not sent over plain http', async () => {
    const res = await buildApp().http().get('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });

  it('is not sent for an X-Forwarded-Proto: https that no trusted proxy set', async () => {
    const res = await buildApp().http().get('/healthz').set('X-Forwarded-Proto', 'https');
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });

  it('is sent when a proxy TRUST_PROXY trusts says the request came over https', async () => {
    const ctx = buildApp({ env: { TRUST_PROXY: 'loopback' } });
    const secure = await ctx.http().get('/healthz').set('X-Forwarded-Proto', 'https');
    expect(secure.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    const plain = await ctx.http().get('/healthz').set('X-Forwarded-Proto', 'http');
    expect(plain.headers['strict-transport-security']).toBeUndefined();
  });

  it('is sent on refusals over https too', async () => {
    const ctx = buildApp({ env: { TRUST_PROXY: 'loopback' } });
    const res = await ctx.http().get('/api/v1/data').set('X-Forwarded-Proto', 'https');
    expect(res.status).toBe(401);
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });
});

describe('hstsWhenSecure() with only itself in the app', () => {
  const HSTS = 'max-age=31536000; includeSubDomains';
  const https: Send = (agent) => agent.get('/').set('X-Forwarded-Proto', 'https');

  it('sends nothing over plain http', async () => {
    await check(hstsWhenSecure(), get, {
      status: 200,
      headers: { 'Strict-Transport-Security': null },
    });
  });

  it('believes X-Forwarded-Proto only from a proxy the app trusts', async () => {
    await check(hstsWhenSecure(), https, {
      status: 200,
      headers: { 'Strict-Transport-Security': null },
    });
    await check(
      hstsWhenSecure(),
      https,
      { status: 200, headers: { 'Strict-Transport-Security': HSTS } },
      { 'trust proxy': 'loopback' },
    );
  });
});
