import express, { type Request } from 'express';
import request from 'supertest';
import { clientAddress, createVisitors, isVisitorTag } from '../src/http/visitors';

const from = (ip: string) => ({ ip }) as unknown as Request;

describe('clientAddress()', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1::/56'],
  ])('names %s as %s', (ip, address) => {
    expect(clientAddress(from(ip))).toBe(address);
  });

  it('names text that is no address by its hash', () => {
    expect(clientAddress(from('not an address'))).toMatch(/^\?[A-Za-z0-9_-]{16}$/);
  });

  it('reads the address once per request', () => {
    let reads = 0;
    const req = {
      get ip() {
        reads += 1;
        return '203.0.113.9';
      },
    } as unknown as Request;
    clientAddress(req);
    clientAddress(req);
    expect(reads).toBe(1);
  });
});

describe('visitor tags', () => {
  const visitors = createVisitors(Buffer.from('x'.repeat(32)));

  it('are a short HMAC of the address: the same for one address, different for two', () => {
    const a = visitors.of(from('203.0.113.1'));
    expect(isVisitorTag(a)).toBe(true);
    expect(visitors.of(from('203.0.113.1'))).toBe(a);
    expect(visitors.of(from('203.0.113.2'))).not.toBe(a);
    expect(createVisitors(Buffer.from('y'.repeat(32))).of(from('203.0.113.1'))).not.toBe(a);
  });

  it('stay the same after many other addresses (the remembered tags are bounded)', () => {
    const first = visitors.of(from('198.51.100.1'));
    for (let i = 0; i < 5000; i += 1) visitors.of(from(`10.0.${i >> 8}.${i & 255}`));
    expect(visitors.of(from('198.51.100.1'))).toBe(first);
    expect(createVisitors(Buffer.from('x'.repeat(32))).of(from('198.51.100.1'))).toBe(first);
  });
});

describe('clientAddress() on real requests', () => {
  // Without X-Forwarded-For the address is read from the socket, not through req.ip: the same
  // answer whatever TRUST_PROXY says; with the header, req.ip as Express trusts it.
  it.each([false, true, 'loopback'])('agrees with req.ip (trust proxy %s)', async (trust) => {
    const app = express();
    app.set('trust proxy', trust);
    app.get('/', (req, res) => {
      res.json({ address: clientAddress(req), viaIp: clientAddress(from(req.ip ?? '')) });
    });
    for (const headers of [{}, { 'X-Forwarded-For': '203.0.113.4' }, { 'X-Forwarded-For': '' }]) {
      const res = await request(app).get('/').set(headers);
      expect(res.body.address).toBe(res.body.viaIp);
    }
  });
});
