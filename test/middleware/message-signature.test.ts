import express from 'express';
import { messageSignature } from '../../middleware/message-signature';
import {
  ACCEPT_SIGNATURE,
  contentDigest,
  parseSignatureInput,
  signatureBase,
  signBase,
} from '../../src/auth/message-signature';
import { testClock } from '../helpers';
import { check, type Send } from './check';

const clock = testClock();
const BODY = '{"id":"evt"}';
const DIGEST = contentDigest(Buffer.from(BODY));
const params = `("@method" "@path" "content-digest");created=${Math.floor(clock.now() / 1000)};keyid="four-oh-one-demo-hmac"`;
const sig = signBase(
  signatureBase(parseSignatureInput(`s=${params}`)!, {
    '@method': 'POST',
    '@path': '/',
    'content-digest': DIGEST,
  }),
).toString('base64');

const guard = [express.raw({ type: () => true }), messageSignature({ clock })];
const post =
  (headers: Record<string, string>): Send =>
  (agent) => {
    let req = agent.post('/').set('Content-Type', 'application/json');
    for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
    return req.send(BODY);
  };

describe('messageSignature()', () => {
  it('lets through a signature over @method, @path and content-digest, with the path it was mounted at', async () => {
    await check(
      guard,
      post({ 'Content-Digest': DIGEST, 'Signature-Input': `s=${params}`, Signature: `s=:${sig}:` }),
      { status: 200, headers: { 'Accept-Signature': null } },
    );
  });

  it('refuses a signature for another method or path, with Accept-Signature', async () => {
    const other = signBase(
      signatureBase(parseSignatureInput(`s=${params}`)!, {
        '@method': 'POST',
        '@path': '/elsewhere',
        'content-digest': DIGEST,
      }),
    ).toString('base64');
    await check(
      guard,
      post({
        'Content-Digest': DIGEST,
        'Signature-Input': `s=${params}`,
        Signature: `s=:${other}:`,
      }),
      {
        status: 400,
        code: 'http_signature_invalid',
        headers: { 'Accept-Signature': ACCEPT_SIGNATURE },
      },
    );
  });
});
